"""Queries written once, over any backend's tables (storage.tables.Tables).

Every backend keeps the same tiers: raw readings (keyed by appliance and timestamp) and minute,
hour and local-day rollups (keyed by bucket start and appliance). It hands its tables to these
functions, with the readings still buffered, so all answer alike.
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from zoneinfo import ZoneInfo

from energymon.domain.buckets import Tier, local_date, local_midnight_ms
from energymon.domain.daily import daily_stats
from energymon.domain.model import DailyStats, Flow, Gap, Reading
from energymon.domain.resample import merge_unique
from energymon.domain.stats import (
    combine,
    flows_of,
    rollup,
)
from energymon.storage.base import LifetimeEnergy
from energymon.storage.history import plan_of, readings_from, selected
from energymon.storage.tables import Horizon, Tables

__all__ = [
    "LiveEnergy",
    "daily_stats_of",
    "gaps_of",
    "latest_of",
    "lifetime_of",
    "readings_between",
]

_TIMESTAMP = attrgetter("timestamp_ms")
_DATE = attrgetter("date")


def readings_between(
    tables: Tables,
    pending: Sequence[Reading],
    *,
    span: tuple[int, int],
    appliance_id: int | None,
    max_points: int,
    horizon: Horizon,
    zone: ZoneInfo,
) -> list[Reading]:
    """Readings in `span` = [start_ms, end_ms), at most `max_points` per appliance.

    Answered as `history.plan_of` plans it (raw readings, or tier buckets merged to fit).
    """
    start_ms, end_ms = span
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    if end_ms <= start_ms:
        return []
    buffered = selected(pending, start_ms, end_ms, appliance_id)
    plan = plan_of(tables, buffered, span, appliance_id, max_points, horizon=horizon, zone=zone)
    return readings_from(tables, buffered, plan, start_ms, appliance_id)


def daily_stats_of(
    tables: Tables,
    pending: Sequence[Reading],
    days: tuple[dt.date, dt.date],
    appliance_id: int | None,
    zone: ZoneInfo,
) -> list[DailyStats]:
    """Stats of the local days first..last (inclusive) from day rollups and the buffer alone."""
    first_day, last_day = days
    if last_day < first_day:
        return []
    start_ms = local_midnight_ms(first_day, zone)
    end_ms = local_midnight_ms(last_day + dt.timedelta(days=1), zone)
    stored = tables.daily_stats(start_ms, end_ms, appliance_id)
    buffered = rollup(selected(pending, start_ms, end_ms, appliance_id), Tier.DAY, zone)
    if not buffered:
        return stored
    # The days the buffer adds to (today, mostly) are pooled again from their rollups.
    first_ms = min(start_ms for _, start_ms in buffered)
    last_ms = max(start_ms for _, start_ms in buffered)
    stored_days = tables.rollups_between(Tier.DAY, appliance_id, first_ms, last_ms + 1)
    redone = daily_stats(combine(stored_days, buffered), zone, appliance_id)
    cut = bisect_left(stored, local_date(first_ms, zone), key=_DATE)
    dates = {day.date for day in redone}
    kept = [day for day in stored[cut:] if day.date not in dates]
    return stored[:cut] + sorted([*kept, *redone], key=_DATE)


def latest_of(
    stored: Iterable[Reading], pending: Iterable[Reading], appliance_id: int, limit: int
) -> list[Reading]:
    """The last `limit` of one appliance's stored and buffered readings, oldest first."""
    mine = [r for r in pending if r.appliance_id == appliance_id]
    return merge_unique(stored, mine)[-limit:] if limit > 0 else []


def lifetime_of(stored: dict[int, Flow], pending: Iterable[Reading]) -> dict[int, Flow]:
    """Stored lifetime counters plus what the buffered readings add."""
    for appliance_id, flow in flows_of(pending).items():
        stored.setdefault(appliance_id, Flow()).add(flow)
    return stored


class LiveEnergy:
    """Splits a store's lifetime totals into live and imported energy, live never going back.

    Live is the total less what imports added, in each direction. Both are sums of floats,
    added up in different orders, so an import can leave their difference a few ulps lower than
    before: a counter that falls is a reset to Prometheus, so each appliance's live energy in
    and out is held at its highest.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, Flow] = {}

    def split(self, total: Mapping[int, Flow], imported: Mapping[int, Flow]) -> LifetimeEnergy:
        """Live (total less imported, at least as high as before) and imported energy."""
        with self._lock:
            for appliance_id, flow in total.items():
                held = self._live.setdefault(appliance_id, Flow())
                less = imported.get(appliance_id, _NOTHING)
                held.in_wh = max(flow.in_wh - less.in_wh, held.in_wh)
                held.out_wh = max(flow.out_wh - less.out_wh, held.out_wh)
            live = self._live.items()
            return LifetimeEnergy(
                live_wh={appliance_id: flow.in_wh for appliance_id, flow in live},
                imported_wh={appliance_id: flow.in_wh for appliance_id, flow in imported.items()},
                live_out_wh={appliance_id: flow.out_wh for appliance_id, flow in live},
                imported_out_wh={
                    appliance_id: flow.out_wh for appliance_id, flow in imported.items()
                },
            )

    def forget(self, appliance_id: int) -> None:
        """Start the appliance from nothing again (its data was deleted)."""
        with self._lock:
            self._live.pop(appliance_id, None)


_NOTHING = Flow()


def gaps_of(gaps: Iterable[Gap], start_ms: int, end_ms: int, appliance_id: int | None) -> list[Gap]:
    """The gaps overlapping [start_ms, end_ms), each start once (the first seen), in order."""
    found: dict[tuple[int, int], Gap] = {}
    for gap in gaps:
        if (
            gap.start_ms < end_ms
            and gap.end_ms > start_ms
            and (appliance_id is None or gap.appliance_id == appliance_id)
        ):
            found.setdefault((gap.appliance_id, gap.start_ms), gap)
    return sorted(found.values(), key=lambda gap: (gap.start_ms, gap.appliance_id))
