"""The writes of a store: flushes, and imports, bulk loads and pruning in bounded transactions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice

from energymon.domain.buckets import HOUR_MS
from energymon.domain.model import Gap, Reading
from energymon.storage import dedupe
from energymon.storage.buffer import Batch
from energymon.storage.sqlite.database import SqliteDatabase
from energymon.storage.sqlite.tables import SqliteTables
from energymon.storage.tables import Horizon

__all__ = [
    "IMPORT_BATCH_ROWS",
    "PRUNE_BATCH_ROWS",
    "bulk_load",
    "import_readings",
    "prune",
    "store_batch",
]

PRUNE_BATCH_ROWS = 5_000  # per transaction, so a flush never waits long behind pruning
IMPORT_BATCH_ROWS = 50_000


def _batches(readings: Iterable[Reading], size: int) -> Iterator[list[Reading]]:
    iterator = iter(readings)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _hour_aligned_chunks(readings: Sequence[Reading], size: int) -> Iterator[list[Reading]]:
    """Chunks of about `size`, cut only between hours, so a re-run import sees whole hours."""
    chunk: list[Reading] = []
    for reading in sorted(readings, key=lambda r: (r.appliance_id, r.timestamp_ms)):
        if len(chunk) >= size and (
            chunk[-1].appliance_id != reading.appliance_id
            or chunk[-1].timestamp_ms // HOUR_MS != reading.timestamp_ms // HOUR_MS
        ):
            yield chunk
            chunk = []
        chunk.append(reading)
    if chunk:
        yield chunk


def store_batch(tables: SqliteTables, batch: Batch) -> int:
    """A flush's writes: new readings with their rollups, and gaps; returns how many were new.

    A flush normally holds only readings with new keys, stored at once; only when some key is
    stored already (or repeated) are they placed first (see dedupe.place_live).
    """
    new: Sequence[Reading] = batch.readings
    if new:
        tables.raw.register({r.appliance_id for r in new})
        if not tables.raw.insert_if_all_new(new):
            new = dedupe.place_live(tables, new)
            tables.raw.insert(new)
        tables.rollups.add(new)
    tables.add_gaps(batch.gaps)
    return len(new)


def import_readings(db: SqliteDatabase, readings: Sequence[Reading], gaps: Sequence[Gap]) -> int:
    """Add historical readings idempotently (see dedupe.split_import); returns how many were new.

    Which readings are new is decided once, against the store before the import; they are then
    written in hour-aligned transactions, so an import cut short can simply be run again. Each
    transaction counts the energy it adds as imported, so live counters never see it.
    """
    fresh, rollup_only = db.write(
        lambda tables: dedupe.split_import(tables, readings, horizon=db.horizon, zone=db.zone)
    )

    def write_fresh(tables: SqliteTables, chunk: list[Reading]) -> int:
        new = dedupe.unseen(tables, chunk)  # a flush may have stored some since
        tables.write(new, raw=True)
        tables.add_imported(new)
        return len(new)

    def write_rollup_only(tables: SqliteTables, chunk: list[Reading]) -> int:
        tables.write(chunk, raw=False)
        tables.add_imported(chunk)
        return len(chunk)

    written = 0
    for part, write in ((fresh, write_fresh), (rollup_only, write_rollup_only)):
        for chunk in _hour_aligned_chunks(part, IMPORT_BATCH_ROWS):
            written += db.write(lambda tables, c=chunk, w=write: w(tables, c))  # type: ignore[misc]
    db.write(lambda tables: tables.add_gaps(gaps))
    return written


def bulk_load(db: SqliteDatabase, readings: Iterable[Reading], *, batch_rows: int) -> int:
    """Store readings as flushes would, `batch_rows` per transaction; returns how many were new.

    Readings before the horizon feed only the rollups (and minutes before it are not written),
    as if pruned already. Keys are checked against raw rows only: for a fresh store.
    """
    horizon = db.horizon

    def store(tables: SqliteTables, chunk: Sequence[Reading]) -> int:
        new = dedupe.unseen(tables, chunk)
        for raw in (True, False):
            part = [r for r in new if (r.timestamp_ms >= horizon.raw_from_ms) is raw]
            tables.write(part, raw=raw, minutes_from_ms=horizon.minute_from_ms)
        return len(new)

    loaded = 0
    for chunk in _batches(readings, batch_rows):
        loaded += db.write(lambda tables, c=chunk: store(tables, c))  # type: ignore[misc]
        db.checkpoint()
    return loaded


def prune(db: SqliteDatabase, horizon: Horizon) -> int:
    """Delete raw rows and minute rollups before `horizon`, one small transaction per batch.

    Flushes slip in between batches. Returns the rows deleted.
    """
    batches: list[Callable[[SqliteTables], int]] = [
        lambda t: t.raw.prune_raw(horizon.raw_from_ms, PRUNE_BATCH_ROWS),
        lambda t: t.rollups.prune_minutes(horizon.minute_from_ms, PRUNE_BATCH_ROWS),
    ]
    deleted = 0
    for batch in batches:
        while (count := db.write(batch)) > 0:
            deleted += count
            if count < PRUNE_BATCH_ROWS:
                break
    return deleted
