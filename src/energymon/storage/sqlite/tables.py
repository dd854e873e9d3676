"""One connection's view of the whole SQLite schema (see schema): reads and writes, no locking.

SqliteTables implements storage.tables.Tables, the shared queries' view of a backend, over the
raw readings (raw.py) and the rollups (rollups.py); the small tables (appliances' names, gaps,
imported energy, meta) it reads and writes itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from itertools import starmap
from zoneinfo import ZoneInfo

from energymon.domain.buckets import Tier
from energymon.domain.model import DailyStats, Flow, Gap, Reading
from energymon.domain.resample import Grouping
from energymon.domain.stats import Rollups, flows_of
from energymon.storage.base import StoredAppliance
from energymon.storage.sqlite.raw import RawReadings
from energymon.storage.sqlite.rollups import RollupTables
from energymon.storage.tables import NOTHING_PRUNED_MS, Horizon

__all__ = ["SqliteTables"]


class SqliteTables:
    """One connection's view of the tables; implements storage.tables.Tables.

    It holds the raw table (`raw`) and the rollups (`rollups`) rather than being either: each
    Tables query is answered by one of them, and a write of readings goes to both.
    """

    def __init__(self, conn: sqlite3.Connection, zone: ZoneInfo) -> None:
        self.conn = conn
        self.zone = zone
        self.raw = RawReadings(conn)
        self.rollups = RollupTables(conn, zone)

    # -- Tables, from the raw readings -------------------------------------------------------------

    def appliance_ids(self) -> set[int]:
        return self.raw.appliance_ids()

    def raw_count(self, appliance_id: int, start_ms: int, end_ms: int, limit: int) -> int:
        return self.raw.raw_count(appliance_id, start_ms, end_ms, limit)

    def raw_between(self, appliance_id: int | None, start_ms: int, end_ms: int) -> list[Reading]:
        return self.raw.raw_between(appliance_id, start_ms, end_ms)

    def raw_timestamps(self, appliance_id: int, first_ms: int, last_ms: int) -> set[int]:
        return self.raw.raw_timestamps(appliance_id, first_ms, last_ms)

    def latest(self, appliance_id: int, limit: int) -> list[Reading]:
        """The last `limit` raw readings of one appliance, newest first."""
        return self.raw.latest(appliance_id, limit)

    # -- Tables, from the rollups ------------------------------------------------------------------

    def rollups_between(
        self, tier: Tier, appliance_id: int | None, start_ms: int, end_ms: int
    ) -> Rollups:
        return self.rollups.rollups_between(tier, appliance_id, start_ms, end_ms)

    def grouped_rollups(self, grouping: Grouping, appliance_id: int | None) -> Rollups:
        return self.rollups.grouped_rollups(grouping, appliance_id)

    def bucket_readings(
        self, tier: Tier, appliance_id: int | None, start_ms: int, end_ms: int
    ) -> list[Reading]:
        return self.rollups.bucket_readings(tier, appliance_id, start_ms, end_ms)

    def daily_stats(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[DailyStats]:
        return self.rollups.daily_stats(start_ms, end_ms, appliance_id)

    def lifetime(self) -> dict[int, Flow]:
        """Stored lifetime energy per appliance, in and out: the sums of all its days."""
        return self.rollups.lifetime()

    # -- the other tables, and writes --------------------------------------------------------------

    def imported_energy(self) -> dict[int, Flow]:
        """The part of the lifetime energy that imports added, per appliance."""
        sql = "SELECT appliance_id, energy_in_wh, energy_out_wh FROM imported_energy"
        return {row[0]: Flow(row[1], row[2]) for row in self.conn.execute(sql)}

    def stored_appliances(self) -> list[StoredAppliance]:
        """Every appliance with stored readings, by id, with its recorded name."""
        rows = self.conn.execute(
            """SELECT appliance_id, a.name, sum(d.count), sum(d.energy_in_wh)
               FROM appliances AS a JOIN rollup_day AS d USING (appliance_id)
               GROUP BY appliance_id HAVING sum(d.count) > 0 ORDER BY appliance_id"""
        )
        return list(starmap(StoredAppliance, rows))

    def gaps_between(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[Gap]:
        """Stored gaps overlapping [start_ms, end_ms)."""
        sql = "SELECT appliance_id, start_ms, end_ms FROM gaps WHERE start_ms < ? AND end_ms > ?"
        params: tuple[int, ...] = (end_ms, start_ms)
        if appliance_id is not None:
            sql += " AND appliance_id = ?"
            params += (appliance_id,)
        return [Gap(*row) for row in self.conn.execute(sql, params)]

    def horizon(self) -> Horizon:
        """From when raw readings and minute rollups are complete (set by pruning)."""
        meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        return Horizon(
            int(meta.get("raw_from_ms", NOTHING_PRUNED_MS)),
            int(meta.get("minute_from_ms", NOTHING_PRUNED_MS)),
        )

    def past_version(self) -> int:
        """Bumped by every transaction that rewrites history (`rewrote_history`)."""
        return int(self.meta("past_version") or 0)

    def rewrote_history(self) -> None:
        """Tell every reader of this database, in any process, that stored history changed:
        a service answering from kept history (storage.watch) sees the version move."""
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('past_version', 1) "
            "ON CONFLICT (key) DO UPDATE SET value = value + 1"
        )

    def meta(self, key: str) -> str | None:
        """A value from the meta table."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def write(
        self, readings: Sequence[Reading], *, raw: bool, minutes_from_ms: int = NOTHING_PRUNED_MS
    ) -> None:
        """Store new readings: raw rows (if `raw`), and add them into the rollups.

        The caller holds the write transaction, and has checked the keys are new.
        """
        if not readings:
            return
        self.raw.register({r.appliance_id for r in readings})
        if raw:
            self.raw.insert(readings)
        self.rollups.add(readings, minutes_from_ms)

    def add_imported(self, readings: Iterable[Reading]) -> None:
        """Count imported readings' energy in and out as imported (they are written alongside)."""
        self.add_imported_flows(flows_of(readings))

    def add_imported_flows(self, flows: Mapping[int, Flow]) -> None:
        """Add to each appliance's imported energy in and out (history was rewritten)."""
        self.rewrote_history()
        self.conn.executemany(
            """INSERT INTO imported_energy (appliance_id, energy_in_wh, energy_out_wh)
               VALUES (?, ?, ?) ON CONFLICT (appliance_id) DO UPDATE SET
               energy_in_wh = energy_in_wh + excluded.energy_in_wh,
               energy_out_wh = energy_out_wh + excluded.energy_out_wh""",
            ((appliance_id, flow.in_wh, flow.out_wh) for appliance_id, flow in flows.items()),
        )

    def name_appliances(self, names: Mapping[int, str]) -> None:
        """Record the configured names (an appliance without readings gets its slot now)."""
        self.raw.register(names)
        self.conn.executemany(
            "UPDATE appliances SET name = ? WHERE appliance_id = ? AND name IS NOT ?",
            ((name, appliance_id, name) for appliance_id, name in names.items()),
        )

    def forget(self, appliance_id: int) -> None:
        """Delete one appliance's raw readings, slot, rollups, gaps and imported energy."""
        self.rewrote_history()
        self.raw.drop_appliance(appliance_id)  # first: it finds the raw rows by the day rollups
        self.rollups.drop_appliance(appliance_id)
        for table in ("gaps", "imported_energy"):
            sql = f"DELETE FROM {table} WHERE appliance_id = ?"  # noqa: S608 - our table names
            self.conn.execute(sql, (appliance_id,))

    def add_gaps(self, gaps: Iterable[Gap]) -> None:
        """Store gaps; a gap known already is widened, never doubled."""
        self.conn.executemany(
            """INSERT INTO gaps (appliance_id, start_ms, end_ms) VALUES (?, ?, ?)
               ON CONFLICT (appliance_id, start_ms) DO UPDATE SET
               end_ms = max(end_ms, excluded.end_ms)""",
            ((g.appliance_id, g.start_ms, g.end_ms) for g in gaps),
        )

    def set_meta(self, key: str, value: str | int) -> None:
        """Set a value in the meta table."""
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def set_horizon(self, horizon: Horizon) -> None:
        """Record how far pruning has gone."""
        self.set_meta("raw_from_ms", horizon.raw_from_ms)
        self.set_meta("minute_from_ms", horizon.minute_from_ms)
