"""BufferedStore: the half of a ReadingStore every backend shares, written once.

A backend keeps its committed tiers its own way; in front of them sits the same PendingBuffer,
and every query reads the tables and the buffer as they were at one moment (a `Snapshot`) and
answers through the shared queries of tiers.py. So a backend writes its flushes, imports,
pruning and operations, and `_snapshot`; buffering, the queries and `health` come from here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from operator import attrgetter
from typing import TypedDict, Unpack
from zoneinfo import ZoneInfo

from energymon.domain.buckets import DAY_MS, local_day_bounds
from energymon.domain.model import DailyStats, Gap, Reading
from energymon.domain.resample import merge_unique
from energymon.storage import history, tiers
from energymon.storage.base import LifetimeEnergy, StoreHealth
from energymon.storage.buffer import PendingBuffer
from energymon.storage.history import HistoryPart, RecentPart, Settled
from energymon.storage.tables import Snapshot, Tables
from energymon.storage.watch import PastWatch

__all__ = ["STORE_DEFAULTS", "BufferedStore", "StoreOptions"]

_stamp_ms = attrgetter("timestamp_ms")

_NO_END_MS = 2**46  # after any reading (year 4200), small enough for SQLite's keys


class StoreOptions(TypedDict, total=False):
    """The keyword options every store takes beside its location (defaults: STORE_DEFAULTS)."""

    retention_days: int  # how long raw readings stay
    minute_retention_days: int  # how long minute rollups stay
    max_buffered_readings: int  # held in memory while writes fail; the oldest dropped beyond
    clock: Callable[[], float]  # epoch seconds, for health().last_flush_ms


STORE_DEFAULTS: StoreOptions = {
    "retention_days": 7,  # the seed's retention
    "minute_retention_days": 90,
    "max_buffered_readings": 500_000,
    "clock": time.time,
}


class BufferedStore:
    """Buffering, queries and health over a backend's `_snapshot()` (see the module docstring).

    Args:
        zone: whose local midnights bound the day rollups.
        options: retention, buffer size and clock (StoreOptions), each defaulting as
            STORE_DEFAULTS says.
    """

    def __init__(self, *, zone: ZoneInfo, **options: Unpack[StoreOptions]) -> None:
        if unknown := options.keys() - StoreOptions.__optional_keys__:
            raise TypeError(f"unexpected store options: {', '.join(sorted(unknown))}")
        chosen = STORE_DEFAULTS | options
        self.zone = zone
        self._retention_ms = chosen["retention_days"] * DAY_MS
        self._minute_retention_ms = chosen["minute_retention_days"] * DAY_MS
        self._clock = chosen["clock"]
        self._buffer = PendingBuffer(chosen["max_buffered_readings"])
        self._live = tiers.LiveEnergy()
        self.past = PastWatch()  # a backend calls past.changed() when it rewrites history
        self._past_version: int | None = None  # the stored one last seen (other processes')
        self._last_flush_ms: int | None = None
        self._last_error: str | None = None

    def _snapshot(self) -> AbstractContextManager[Snapshot[Tables]]:
        """The committed tables and the buffer at one moment, for one query."""
        raise NotImplementedError

    def _now_ms(self) -> int:
        return round(self._clock() * 1000)

    def _kept_from_ms(self, now_ms: int) -> tuple[int, int]:
        """From when raw readings and minute rollups are kept at `now_ms`, by retention."""
        return now_ms - self._retention_ms, now_ms - self._minute_retention_ms

    def _kept_in_memory(self, what: str) -> str:
        """`what` failed, said with what the buffer holds meanwhile: the health's last error."""
        return f"{what}; {self._buffer.pending} readings kept in memory for the next flush"

    def append(self, readings: Iterable[Reading]) -> None:
        """Buffer readings for the next flush (thread-safe, no I/O)."""
        batch = readings if isinstance(readings, list | tuple) else list(readings)
        self._buffer.append(batch)
        if batch:  # map over attrgetter: no generator frame on the sampler's hot path
            self.past.touched(min(map(_stamp_ms, batch)))

    def record_gap(self, gap: Gap) -> None:
        """Buffer a gap for the next flush."""
        self._buffer.add_gap(gap)

    def change_mark(self) -> tuple[int, int, int]:
        """Changes to what queries answer from in this process, as a value that moves with
        each: readings and gaps added, the past's epoch, pruning runs. (A flush moves readings
        into the tables without changing an answer; another process's rewrite is noticed by
        the next query, see _notice_rewrites.)"""
        return self._buffer.changes, self.past.epoch(), self.past.prunes

    def latest(self, appliance_id: int, limit: int) -> list[Reading]:
        """The last `limit` readings of one appliance, oldest first."""
        with self._snapshot() as snap:
            stored = snap.tables.latest(appliance_id, limit) if limit > 0 else []
        return tiers.latest_of(stored, snap.pending, appliance_id, limit)

    def latest_part(
        self,
        appliance_id: int,
        limit: int,
        *,
        settled_before_ms: int,
        since: tuple[int, tuple[int, int]] | None,
    ) -> RecentPart:
        """`latest`, or with `since` = (from_ms, mark) still good, every reading from from_ms on."""
        epoch = self.past.hold(settled_before_ms)
        mark = (epoch, self.past.prunes)
        usable = since is not None and since[1] == mark
        with self._snapshot() as snap:
            self._notice_rewrites(snap.tables)
            if since is not None and usable:
                from_ms = since[0]
                stored = snap.tables.raw_between(appliance_id, from_ms, _NO_END_MS)
                newer = history.selected(snap.pending, from_ms, _NO_END_MS, appliance_id)
                readings = merge_unique(stored, newer)
            else:
                stored = snap.tables.latest(appliance_id, limit) if limit > 0 else []
                readings = tiers.latest_of(stored, snap.pending, appliance_id, limit)
            unchanged = (self.past.epoch(), self.past.prunes) == mark
        if usable and not unchanged:  # what `since` rests on may have changed: all again
            return self.latest_part(
                appliance_id, limit, settled_before_ms=settled_before_ms, since=None
            )
        start_ms = since[0] if since is not None and usable else None
        return RecentPart(start_ms, settled_before_ms, readings, mark if unchanged else None)

    def _notice_rewrites(self, tables: Tables) -> None:
        """History rewritten by another process sharing the store (`energymon import` beside
        the service, `forget`) starts a new epoch too: kept answers are read afresh."""
        version = tables.past_version()
        if version != self._past_version:
            if self._past_version is not None:  # the first answer: nothing kept before it
                self.past.changed()
            self._past_version = version

    def readings_between(
        self, start_ms: int, end_ms: int, appliance_id: int | None, max_points: int
    ) -> list[Reading]:
        """Readings in [start_ms, end_ms), at most `max_points` per appliance (bucket means)."""
        with self._snapshot() as snap:
            return tiers.readings_between(
                snap.tables,
                snap.pending,
                span=(start_ms, end_ms),
                appliance_id=appliance_id,
                max_points=max_points,
                horizon=snap.horizon,
                zone=self.zone,
            )

    def history_part(
        self,
        days: tuple[dt.date, dt.date],
        appliance_id: int | None,
        max_points: int,
        *,
        settled_before_ms: int,
        known: Settled | None,
    ) -> HistoryPart:
        """`readings_between` the local days and their `daily_stats`, past what `known` holds.

        `known` is trusted while the plan is the same and nothing before its end changed; the
        part's `settled_ms` is the last point boundary at or before `settled_before_ms`.
        """
        first_day, last_day = days
        span = (local_day_bounds(first_day, self.zone)[0], local_day_bounds(last_day, self.zone)[1])
        epoch = self.past.hold(settled_before_ms)
        with self._snapshot() as snap:
            self._notice_rewrites(snap.tables)
            buffered = history.selected(snap.pending, *span, appliance_id)
            plan = history.plan_of(
                snap.tables,
                buffered,
                span,
                appliance_id,
                max_points,
                horizon=snap.horizon,
                zone=self.zone,
            )
            usable = known is not None and known.plan == plan and known.epoch == epoch
            from_ms = known.until_ms if known is not None and usable else span[0]
            readings = history.readings_from(snap.tables, buffered, plan, from_ms, appliance_id)
            first = history.days_from(first_day, from_ms, plan, self.zone)
            stats = tiers.daily_stats_of(
                snap.tables, snap.pending, (first, last_day), appliance_id, self.zone
            )
            unchanged = self.past.epoch() == epoch
        if usable and not unchanged:  # the known part may be stale: answer it all again
            return self.history_part(
                days, appliance_id, max_points, settled_before_ms=settled_before_ms, known=None
            )
        settled_ms = max(from_ms, plan.boundary(settled_before_ms))
        return HistoryPart(plan, from_ms, settled_ms, readings, stats, epoch if unchanged else None)

    def daily_stats(
        self, first_day: dt.date, last_day: dt.date, appliance_id: int | None
    ) -> list[DailyStats]:
        """Stats per local day with readings, from day rollups and the buffer only."""
        with self._snapshot() as snap:
            return tiers.daily_stats_of(
                snap.tables, snap.pending, (first_day, last_day), appliance_id, self.zone
            )

    def lifetime_energy_wh(self) -> dict[int, float]:
        """Energy each appliance has used since records began, buffered readings included."""
        with self._snapshot() as snap:
            flows = tiers.lifetime_of(snap.tables.lifetime(), snap.pending)
        return {appliance_id: flow.in_wh for appliance_id, flow in flows.items()}

    def lifetime_energy(self) -> LifetimeEnergy:
        """Lifetime energy in and out, split into live and imported, from one snapshot."""
        with self._snapshot() as snap:
            total = tiers.lifetime_of(snap.tables.lifetime(), snap.pending)
            imported = snap.tables.imported_energy()
        return self._live.split(total, imported)

    def gaps_between(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[Gap]:
        """Recorded and buffered gaps overlapping [start_ms, end_ms)."""
        with self._snapshot() as snap:
            stored = snap.tables.gaps_between(start_ms, end_ms, appliance_id)
        return tiers.gaps_of((*stored, *snap.gaps), start_ms, end_ms, appliance_id)

    def health(self) -> StoreHealth:
        """Last good flush, readings pending and dropped, the last error (None once healed)."""
        return StoreHealth(
            last_flush_ms=self._last_flush_ms,
            pending_readings=self._buffer.pending,
            dropped_readings=self._buffer.dropped,
            last_error=self._last_error,
        )
