"""The minute, hour and local-day rollup tables: what a connection reads and writes, no locking.

Rows are keyed by bucket first (see schema). Only our constant table names are ever put into
SQL text; values go in as parameters.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from itertools import starmap
from zoneinfo import ZoneInfo

from energymon.domain.buckets import HOUR_MS, LocalDays, Tier
from energymon.domain.daily import day_stats
from energymon.domain.model import DailyStats, Flow, Reading
from energymon.domain.resample import Grouping
from energymon.domain.stats import BucketKey, Rollups, Totals, tier_rollups
from energymon.storage.sqlite.batch import BatchInsert
from energymon.storage.tables import NOTHING_PRUNED_MS

__all__ = ["RollupTables"]

_TABLE = {Tier.MINUTE: "rollup_minute", Tier.HOUR: "rollup_hour", Tier.DAY: "rollup_day"}
_SELECT_ROLLUPS = """SELECT bucket_ms, appliance_id, count, sum_watts, min_watts, max_watts,
    energy_wh, covered_s, sum_volts, sum_amps, energy_in_wh, measured_count, energy_out_wh
    FROM {table}"""
_ROLLUP_COLUMNS = """(bucket_ms, appliance_id, count, sum_watts, min_watts, max_watts,
    energy_wh, covered_s, sum_volts, sum_amps, energy_in_wh, measured_count, energy_out_wh)"""
_ADD_TO_STORED = """ON CONFLICT (bucket_ms, appliance_id) DO UPDATE SET
    count = count + excluded.count,
    sum_watts = sum_watts + excluded.sum_watts,
    min_watts = min(min_watts, excluded.min_watts),
    max_watts = max(max_watts, excluded.max_watts),
    energy_wh = energy_wh + excluded.energy_wh,
    covered_s = covered_s + excluded.covered_s,
    sum_volts = sum_volts + excluded.sum_volts,
    sum_amps = sum_amps + excluded.sum_amps,
    energy_in_wh = energy_in_wh + excluded.energy_in_wh,
    measured_count = measured_count + excluded.measured_count,
    energy_out_wh = energy_out_wh + excluded.energy_out_wh"""
_UPSERT_TIER = {
    tier: BatchInsert(f"INSERT INTO {table} {_ROLLUP_COLUMNS}", 13, _ADD_TO_STORED)
    for tier, table in _TABLE.items()
}


def _per_tier(template: str) -> dict[Tier, str]:
    # Only our constant table names are ever put into SQL text; values go in as parameters.
    return {tier: template.format(table=table) for tier, table in _TABLE.items()}


_SELECT_TIER = _per_tier(_SELECT_ROLLUPS)
# Buckets merged k at a time by the database: (bucket / width - first) / k is the group, as in
# Grouping.group_of (never negative here, so SQL's truncating division agrees with floor).
_GROUP_TIER = _per_tier(
    """SELECT appliance_id, (bucket_ms / :width - :first) / :k AS grp, sum(count),
    sum(sum_watts), min(min_watts), max(max_watts), sum(energy_wh), sum(covered_s),
    sum(sum_volts), sum(sum_amps), sum(energy_in_wh), sum(measured_count), sum(energy_out_wh)
    FROM {table}
    WHERE bucket_ms >= :start AND bucket_ms < :end AND (:owner IS NULL OR appliance_id = :owner)
    GROUP BY appliance_id, grp"""
)
# One Reading per bucket, as Totals.to_reading makes it (the same IEEE divisions; volts and
# amps NULL where no reading measured them).
_BUCKET_READINGS = _per_tier(
    """SELECT appliance_id, bucket_ms, sum_watts / count,
    CASE WHEN measured_count > 0 THEN sum_volts / measured_count END,
    CASE WHEN measured_count > 0 THEN sum_amps / measured_count END,
    energy_wh, covered_s, count, energy_out_wh FROM {table}
    WHERE bucket_ms >= :start AND bucket_ms < :end AND count > 0
    AND (:owner IS NULL OR appliance_id = :owner) ORDER BY bucket_ms, appliance_id"""
)
# Appliances pooled per day as daily.pool pools them: sums in appliance order, min, max, and
# covered seconds averaged over the appliances with readings.
_POOLED_DAYS = """SELECT bucket_ms, sum(count), sum(sum_watts), min(min_watts), max(max_watts),
    sum(energy_wh), sum(covered_s) / count(*), sum(energy_in_wh), sum(energy_out_wh)
    FROM rollup_day
    WHERE bucket_ms >= :start AND bucket_ms < :end AND count > 0
    AND (:owner IS NULL OR appliance_id = :owner) GROUP BY bucket_ms ORDER BY bucket_ms"""


def _totals_row(key: BucketKey, t: Totals) -> tuple[float, ...]:
    appliance_id, bucket_ms = key
    return (
        bucket_ms, appliance_id, t.count, t.sum_watts, t.min_watts, t.max_watts, t.energy_wh,
        t.covered_seconds, t.sum_volts, t.sum_amps, t.energy_in_wh, t.measured_count,
        t.energy_out_wh,
    )  # fmt: skip


class RollupTables:
    """One connection's view of the rollups of every tier."""

    def __init__(self, conn: sqlite3.Connection, zone: ZoneInfo) -> None:
        self.conn = conn
        self.zone = zone

    def rollups_between(
        self, tier: Tier, appliance_id: int | None, start_ms: int, end_ms: int
    ) -> Rollups:
        """`tier` rollups whose bucket starts in [start_ms, end_ms)."""
        sql = _SELECT_TIER[tier] + " WHERE bucket_ms >= ? AND bucket_ms < ?"
        params: tuple[int, ...] = (start_ms, end_ms)
        if appliance_id is not None:
            sql += " AND appliance_id = ?"
            params += (appliance_id,)
        return {(row[1], row[0]): Totals(*row[2:]) for row in self.conn.execute(sql, params)}

    def grouped_rollups(self, grouping: Grouping, appliance_id: int | None) -> Rollups:
        """Rollups merged per group of `grouping`, by the database for minutes and hours."""
        tier, start_ms, end_ms = grouping.tier, grouping.start_ms, grouping.end_ms
        if tier is Tier.DAY:  # days differ in length: grouped by their local dates, in Python
            return grouping.group(self.rollups_between(tier, appliance_id, start_ms, end_ms))
        params = {
            "width": tier.nominal_ms,
            "first": grouping.first_index,
            "k": grouping.per_group,
            "start": start_ms,
            "end": end_ms,
            "owner": appliance_id,
        }
        rows = self.conn.execute(_GROUP_TIER[tier], params)
        return {(row[0], row[1]): Totals(*row[2:]) for row in rows}

    def bucket_readings(
        self, tier: Tier, appliance_id: int | None, start_ms: int, end_ms: int
    ) -> list[Reading]:
        """A Reading per `tier` bucket with data starting in [start_ms, end_ms), in time order."""
        params = {"start": start_ms, "end": end_ms, "owner": appliance_id}
        return list(starmap(Reading, self.conn.execute(_BUCKET_READINGS[tier], params)))

    def daily_stats(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[DailyStats]:
        """Stats of the local days starting in [start_ms, end_ms), pooled by the database."""
        params = {"start": start_ms, "end": end_ms, "owner": appliance_id}
        days = []
        rows = self.conn.execute(_POOLED_DAYS, params)
        for day_ms, count, watts, low, high, energy_wh, covered_s, in_wh, out_wh in rows:
            pooled = Totals(count, watts, low, high, energy_wh, covered_s)
            pooled.energy_in_wh, pooled.energy_out_wh = in_wh, out_wh
            days.append(day_stats(day_ms, pooled, self.zone))
        return days

    def lifetime(self) -> dict[int, Flow]:
        """Stored lifetime energy per appliance, in and out: the sums of all its days."""
        sql = """SELECT appliance_id, sum(energy_in_wh), sum(energy_out_wh) FROM rollup_day
                 GROUP BY appliance_id"""
        return {row[0]: Flow(row[1], row[2]) for row in self.conn.execute(sql)}

    def add(self, readings: Sequence[Reading], minutes_from_ms: int = NOTHING_PRUNED_MS) -> None:
        """Add readings into the minute (from `minutes_from_ms`), hour and day rollups."""
        self.add_tiers(tier_rollups(readings, self.zone), minutes_from_ms)

    def add_tiers(
        self, tiers: Mapping[Tier, Rollups], minutes_from_ms: int = NOTHING_PRUNED_MS
    ) -> None:
        """Add rollups of every tier into the stored ones (minutes from `minutes_from_ms`)."""
        for tier, rollups in tiers.items():
            rows = (
                _totals_row(key, totals)
                for key, totals in rollups.items()
                if tier is not Tier.MINUTE or key[1] >= minutes_from_ms
            )
            _UPSERT_TIER[tier].run(self.conn, rows)

    def prune_minutes(self, before_ms: int, limit: int) -> int:
        """Delete up to `limit` minute rollups older than `before_ms`."""
        cursor = self.conn.execute(
            """DELETE FROM rollup_minute WHERE (bucket_ms, appliance_id) IN (
                   SELECT bucket_ms, appliance_id FROM rollup_minute WHERE bucket_ms < ?
                   ORDER BY bucket_ms LIMIT ?)""",
            (before_ms, limit),
        )
        return cursor.rowcount

    def drop_appliance(self, appliance_id: int) -> None:
        """Delete one appliance's rollups of every tier."""
        for table in _TABLE.values():
            sql = f"DELETE FROM {table} WHERE appliance_id = ?"  # noqa: S608 - our table names
            self.conn.execute(sql, (appliance_id,))

    def rebuild_days(self, minute_from_ms: int) -> None:
        """Recompute the day rollups for `self.zone` (the configured zone changed).

        Minutes are used where they are kept, hours before that: exact for every zone at the
        minutes, and for zones a whole number of hours apart at the hours.
        """
        boundary_ms = -(-minute_from_ms // HOUR_MS) * HOUR_MS
        days = LocalDays(self.zone)
        rebuilt: Rollups = {}
        sources = (
            _SELECT_TIER[Tier.HOUR] + " WHERE bucket_ms < ?",
            _SELECT_TIER[Tier.MINUTE] + " WHERE bucket_ms >= ?",
        )
        for sql in sources:
            for row in self.conn.execute(sql, (boundary_ms,)):
                key = (row[1], days.start_of(row[0]))
                rebuilt.setdefault(key, Totals()).merge(Totals(*row[2:]))
        self.conn.execute("DELETE FROM rollup_day")
        _UPSERT_TIER[Tier.DAY].run(
            self.conn, (_totals_row(key, totals) for key, totals in rebuilt.items())
        )
