"""`energymon import` of one file: read in blocks, stored block by block, with progress.

The file is streamed (memory stays bounded whatever its size): each block of about a MiB is
parsed into columns (seedlog.blocks), made readings (seedlog.stream), stored in one
transaction (a running service's flushes wait at most that long) and merged into the CSV log's
retained past days (seedlog.history). An import cut short can be run again: rows already
stored are skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import sys
from collections.abc import Iterator
from itertools import compress
from pathlib import Path

from energymon.commands.progress import Progress
from energymon.errors import EnergymonError
from energymon.settings import Settings
from energymon.storage.base import ReadingStore
from energymon.storage.columns import ImportedColumns
from energymon.storage.seedlog.blocks import BlockParser, LineBlock, ParsedBlock, line_blocks
from energymon.storage.seedlog.files import logs_dir
from energymon.storage.seedlog.history import HistoryMerge, HistoryWriter
from energymon.storage.seedlog.stream import ReadingStream

__all__ = ["import_file"]


def _store(store: ReadingStore, columns: ImportedColumns) -> int:
    """Store a block of readings; how many were new."""
    from energymon.storage.sqlite import SqliteStore

    if isinstance(store, SqliteStore):
        return store.import_columns(columns)
    return store.import_readings(columns.readings(), columns.gaps)


class _Counts:
    """What one file's import found, for its summary lines."""

    def __init__(self) -> None:
        self.rows = self.readings = self.added = self.bad = self.unknown = 0
        self.unknown_ids: set[int] = set()


def import_file(path: Path, settings: Settings, store: ReadingStore) -> int:
    """Import one seed CSV log into `store` and the CSV log; returns its bad rows."""
    zone = settings.zone
    retention_days = settings.storage.retention_days
    logs = logs_dir(settings.storage.data_dir)
    history = HistoryWriter(
        logs, zone, today=dt.datetime.now(zone).date(), retention_days=retention_days
    )
    try:
        size = path.stat().st_size
        file = path.open("rb")
    except OSError as exc:
        raise EnergymonError(f"{path}: cannot read: {exc}") from exc
    run = _FileImport(path, {a.id for a in settings.appliances}, store, history)
    progress = Progress(sys.stderr, path.name, size)
    parser, stream = BlockParser(zone, history.clock), ReadingStream()
    with file, _young_collections_only(), _importing(store):
        blocks = line_blocks(file)
        block = _next(path, blocks)
        while block is not None:
            following = _next(path, blocks)  # one block ahead: is this the last?
            parsed = parser.parse(block.lines, block.first_line)
            if parsed.errors:
                progress.clear()
            ids, instants, watts = run.checked(parsed)
            run.store(stream.add(ids, instants, watts, last=following is None))
            progress.update(run.counts.rows, block.bytes_read)
            gc.collect(1)
            block = following
    progress.finish()
    _summary(path, run.counts)
    merged = None
    try:
        merged = history.finish() if run.history_error is None else None
    except OSError as exc:
        run.history_error = exc
    if merged is None:
        raise EnergymonError(
            f"{path}: the readings are in the database, but the CSV log in {logs} "
            f"could not be written: {run.history_error}"
        ) from run.history_error
    _history_summary(path, merged, retention_days)
    return run.counts.bad


class _FileImport:
    """One file's blocks: bad lines reported, rows of unconfigured appliances left out,
    readings stored and merged into the CSV log."""

    def __init__(
        self, path: Path, known: set[int], store: ReadingStore, history: HistoryWriter
    ) -> None:
        self.path = path
        self.known = known
        self._store = store
        self.history = history
        self.history_error: OSError | None = None
        self.counts = _Counts()

    def checked(self, parsed: ParsedBlock) -> tuple[list[int], list[int], list[float]]:
        """The block's rows of configured appliances, as columns; its bad lines printed."""
        for problem in parsed.errors:
            print(f"{self.path}:{problem.line}: {problem.message}", file=sys.stderr)
        self.counts.rows += len(parsed.appliance_ids)
        self.counts.bad += len(parsed.errors)
        ids, instants, watts = parsed.appliance_ids, parsed.instants_ms, parsed.watts
        if not self.known.issuperset(ids):
            mask = [appliance_id in self.known for appliance_id in ids]
            self.counts.unknown += mask.count(False)
            self.counts.unknown_ids.update(set(ids) - self.known)
            return (
                list(compress(ids, mask)),
                list(compress(instants, mask)),
                list(compress(watts, mask)),
            )
        return ids, instants, watts

    def store(self, columns: ImportedColumns) -> None:
        """Store a block of readings and merge it into the CSV log (until that fails)."""
        self.counts.readings += len(columns)
        self.counts.added += _store(self._store, columns)
        if self.history_error is None:
            try:
                self.history.add(columns)
            except OSError as exc:  # the database goes on; said at the end
                self.history_error = exc


def _importing(store: ReadingStore) -> contextlib.AbstractContextManager[None]:
    """The store's settings for a long import, where it has any."""
    from energymon.storage.sqlite import SqliteStore

    return store.importing() if isinstance(store, SqliteStore) else contextlib.nullcontext()


@contextlib.contextmanager
def _young_collections_only() -> Iterator[None]:
    """No automatic garbage collection while importing (a collection per block instead).

    The rows are millions of small tuples without cycles; the collector's automatic passes
    over them took about a third of an import's CPU time (measured with P13).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _next(path: Path, blocks: Iterator[LineBlock]) -> LineBlock | None:
    try:
        return next(blocks, None)
    except OSError as exc:
        raise EnergymonError(f"{path}: cannot read: {exc}") from exc


def _summary(path: Path, counts: _Counts) -> None:
    if counts.unknown:
        print(
            f"{path}: skipped {counts.unknown} rows of unconfigured appliance ids "
            f"{sorted(counts.unknown_ids)}",
            file=sys.stderr,
        )
    print(
        f"{path}: {counts.rows} rows read, {counts.added} new readings stored, "
        f"{counts.readings - counts.added} already present, {counts.bad} bad rows"
    )


def _history_summary(path: Path, merged: HistoryMerge, retention_days: int) -> None:
    """What the import wrote into the CSV log, and what it left out."""
    days = f" ({merged.days[0]} to {merged.days[-1]})" if merged.days else ""
    print(
        f"{path}: CSV log: {merged.written} rows added to {len(merged.days)} past days{days}, "
        f"{merged.present} there already"
    )
    if merged.running_day or merged.expired:
        print(
            f"{path}: in the database only, not in the CSV log: {merged.running_day} rows of "
            f"today or later (the running service writes today's file), {merged.expired} rows "
            f"older than the {retention_days} days the CSV log keeps"
        )
