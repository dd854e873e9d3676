"""The raw readings table: one rowid b-tree in time order, keyed by instant and appliance slot.

A row's key is `ts_ms * SLOTS + slot`, where `slot` is the appliance's small number from the
appliances table, so rows sort by time, then appliance. Why a rowid table keyed so, and not
(appliance_id, ts_ms): a flush then appends all its rows at the right edge of one b-tree, and
SQLite splits a full rightmost leaf of a rowid table by starting a new leaf, where an index
b-tree (WITHOUT ROWID) rebalances three siblings. A flush of 30 readings rewrites about three
pages instead of a dozen, which is most of what reaches the disk (see schema).

Time order costs the queries of one appliance a filter: `latest` and `raw_count` first ask the
day rollups (a small table) which days hold that appliance's readings, and look only there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter

from energymon.domain.model import Reading
from energymon.storage.base import StorageError
from energymon.storage.sqlite.batch import BatchInsert

__all__ = ["SLOTS", "RawReadings"]

SLOTS = 1 << 16  # appliances a database can ever hold: a key's low 16 bits are its slot
_MAX_DAY_MS = 25 * 3_600_000  # a local day lasts at most 25 hours
_COLUMNS = "readings (key, watts, volts, amps, energy_wh, covered_s, samples, energy_out_wh)"
_INSERT = BatchInsert("INSERT INTO " + _COLUMNS, 8)
_INSERT_OR_IGNORE = BatchInsert("INSERT OR IGNORE INTO " + _COLUMNS, 8)
# Imported history: no volts or amps, one sample, only the net energy (energy_out_wh NULL: its
# sign tells); fewer parameters to bind per row.
_INSERT_IMPORTED = BatchInsert(
    "INSERT INTO " + _COLUMNS, 4, row="(?, ?, NULL, NULL, ?, ?, 1, NULL)"
)
_SELECT = """SELECT key, watts, volts, amps, energy_wh, covered_s, samples, energy_out_wh
    FROM readings"""
_IN_SPAN = " WHERE key >= ? AND key < ?"
# `key & (SLOTS - 1)` is the slot, also before 1970 (SQLite's % keeps the sign).
_OF_SLOT = _IN_SPAN + " AND key & 65535 = ?"
_KEYS_IN_SPAN = "SELECT key FROM readings WHERE key >= ? AND key <= ?"
_KEYS_OF_SLOT = "SELECT key FROM readings WHERE key >= ? AND key < ? AND key & 65535 = ?"
_DELETE_OF_SLOT = "DELETE FROM readings WHERE key >= ? AND key < ? AND key & 65535 = ?"
_COUNT_OF_SLOT = """SELECT count(*) FROM (SELECT 1 FROM readings
    WHERE key >= ? AND key < ? AND key & 65535 = ? LIMIT ?)"""


class RawReadings:
    """One connection's view of the raw readings and the appliances' slots."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._slot_of: dict[int, int] | None = None  # read once per transaction

    def _slots(self) -> dict[int, int]:
        if self._slot_of is None:
            self._slot_of = dict(self.conn.execute("SELECT appliance_id, slot FROM appliances"))
        return self._slot_of

    def appliance_ids(self) -> set[int]:
        """Every appliance with stored readings."""
        return set(self._slots())

    def register(self, appliance_ids: Iterable[int]) -> dict[int, int]:
        """Every appliance's slot, giving new appliances the next free ones (in id order)."""
        slots = self._slots()
        new = sorted(set(appliance_ids) - slots.keys())
        if new:
            first = max(slots.values(), default=-1) + 1
            if first + len(new) > SLOTS:
                raise StorageError(f"appliance {new[0]}: the database holds {SLOTS} at most")
            added = list(zip(new, range(first, first + len(new)), strict=True))
            sql = "INSERT INTO appliances (appliance_id, slot) VALUES (?, ?)"
            self.conn.executemany(sql, added)
            slots.update(added)
        return slots

    def _rows(self, readings: Iterable[Reading]) -> Iterator[tuple[float | None, ...]]:
        slots = self._slots()
        return (
            (
                r.timestamp_ms * SLOTS + slots[r.appliance_id],
                r.watts,
                r.volts,
                r.amps,
                r.energy_wh,
                r.covered_seconds,
                r.samples,
                r.energy_out_wh,
            )
            for r in readings
        )

    def insert_imported(
        self,
        keys: Iterable[int],
        watts: Iterable[float],
        energy_wh: Iterable[float],
        covered_seconds: Iterable[float],
    ) -> None:
        """Store rows of imported history (no volts or amps, one sample) given as columns."""
        rows = zip(keys, watts, energy_wh, covered_seconds, strict=True)
        _INSERT_IMPORTED.run(self.conn, rows)

    def keys_between(self, first_key: int, last_key: int) -> set[int]:
        """The stored keys in [first_key, last_key] (see `key_of`)."""
        rows = self.conn.execute(_KEYS_IN_SPAN, (first_key, last_key)).fetchall()
        return set(map(itemgetter(0), rows))

    def insert(self, readings: Sequence[Reading]) -> None:
        """Store readings whose keys are new (the caller checked), their appliances registered."""
        _INSERT.run(self.conn, self._rows(readings))

    def insert_if_all_new(self, readings: Sequence[Reading]) -> bool:
        """Store the readings if none of their keys is stored or repeated; else store nothing.

        The usual flush holds only new readings: one pass of INSERT OR IGNORE tells, by the
        rows it changed, without looking up each key first.
        """
        self.conn.execute("SAVEPOINT raw")
        before = self.conn.total_changes
        _INSERT_OR_IGNORE.run(self.conn, self._rows(readings))
        all_new = self.conn.total_changes - before == len(readings)
        if not all_new:
            self.conn.execute("ROLLBACK TO raw")
        self.conn.execute("RELEASE raw")
        return all_new

    def _select(self, where: str, params: Sequence[int]) -> list[Reading]:
        ids = {slot: appliance_id for appliance_id, slot in self._slots().items()}
        return [
            Reading(ids[key % SLOTS], key // SLOTS, *values)
            for key, *values in self.conn.execute(_SELECT + where, params)
        ]

    def raw_between(self, appliance_id: int | None, start_ms: int, end_ms: int) -> list[Reading]:
        """Raw readings in [start_ms, end_ms), in time order."""
        span = (start_ms * SLOTS, end_ms * SLOTS)
        if appliance_id is None:
            return self._select(_IN_SPAN, span)
        slot = self._slots().get(appliance_id)
        return [] if slot is None else self._select(_OF_SLOT, (*span, slot))

    def raw_count(self, appliance_id: int, start_ms: int, end_ms: int, limit: int) -> int:
        """Raw readings of one appliance in [start_ms, end_ms), counting no further than `limit`."""
        slot = self._slots().get(appliance_id)
        days = None if slot is None else self._days_of(appliance_id, start_ms, end_ms)
        if slot is None or days is None:
            return 0
        first_ms, end_ms = max(start_ms, days[0]), min(end_ms, days[1])
        params = (first_ms * SLOTS, end_ms * SLOTS, slot, limit)
        count: int = self.conn.execute(_COUNT_OF_SLOT, params).fetchone()[0]
        return count

    def raw_timestamps(self, appliance_id: int, first_ms: int, last_ms: int) -> set[int]:
        """Timestamps of one appliance's raw readings in [first_ms, last_ms]."""
        slot = self._slots().get(appliance_id)
        if slot is None:
            return set()
        params = (first_ms * SLOTS, (last_ms + 1) * SLOTS, slot)
        return {key // SLOTS for (key,) in self.conn.execute(_KEYS_OF_SLOT, params)}

    def latest(self, appliance_id: int, limit: int) -> list[Reading]:
        """The last `limit` raw readings of one appliance, newest first."""
        slot = self._slots().get(appliance_id)
        days = None if slot is None else self._days_of(appliance_id, None, None, limit)
        if slot is None or days is None:
            return []
        params = (days[0] * SLOTS, days[1] * SLOTS, slot, limit)
        return self._select(_OF_SLOT + " ORDER BY key DESC LIMIT ?", params)

    def _days_of(
        self, appliance_id: int, start_ms: int | None, end_ms: int | None, limit: int = 0
    ) -> tuple[int, int] | None:
        """[start, end) of the local days holding the appliance's readings, by its day rollups.

        The days overlapping [start_ms, end_ms) (None: unbounded); with `limit`, only the
        newest of them that hold `limit` readings. None when there is no such day.
        """
        sql = """SELECT bucket_ms, count FROM rollup_day WHERE appliance_id = ? AND count > 0
                 AND bucket_ms >= ? AND bucket_ms < ? ORDER BY bucket_ms DESC"""
        low = -(2**62) if start_ms is None else start_ms - _MAX_DAY_MS
        high = 2**62 if end_ms is None else end_ms
        newest_ms = oldest_ms = None
        needed = limit
        for bucket_ms, count in self.conn.execute(sql, (appliance_id, low, high)):
            newest_ms = bucket_ms if newest_ms is None else newest_ms
            oldest_ms = bucket_ms
            needed -= count
            if limit and needed <= 0:
                break
        if newest_ms is None or oldest_ms is None:
            return None
        return oldest_ms, newest_ms + _MAX_DAY_MS

    def drop_appliance(self, appliance_id: int) -> None:
        """Delete an appliance's raw readings (found through its day rollups: keep those until
        now) and its slot."""
        slot = self._slots().pop(appliance_id, None)
        days = None if slot is None else self._days_of(appliance_id, None, None)
        if slot is not None and days is not None:
            params = (days[0] * SLOTS, days[1] * SLOTS, slot)
            self.conn.execute(_DELETE_OF_SLOT, params)
        self.conn.execute("DELETE FROM appliances WHERE appliance_id = ?", (appliance_id,))

    def prune_raw(self, before_ms: int, limit: int) -> int:
        """Delete up to `limit` raw readings older than `before_ms`, oldest first."""
        cursor = self.conn.execute(
            """DELETE FROM readings WHERE key IN (
                   SELECT key FROM readings WHERE key < ? ORDER BY key LIMIT ?)""",
            (before_ms * SLOTS, limit),
        )
        return cursor.rowcount
