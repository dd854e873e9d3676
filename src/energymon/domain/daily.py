"""Daily statistics: the seed's per-day report, made of local-day rollups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from energymon.domain.buckets import local_date
from energymon.domain.model import DailyStats
from energymon.domain.stats import BucketKey, Totals

__all__ = ["daily_stats", "day_stats", "pool"]


def pool(per_appliance: Iterable[Totals]) -> Totals:
    """Several appliances' totals of one bucket, pooled as the seed's daily stats pool them.

    Counts, sums, energy, min and max pool directly. `covered_seconds` is the mean over the
    appliances with readings: summing would exceed the day's length with two appliances, and the
    mean still reads as "how much of the day was measured".
    """
    pooled = Totals()
    with_data = 0
    for totals in per_appliance:
        if totals.count:
            pooled.merge(totals)
            with_data += 1
    if with_data:
        pooled.covered_seconds /= with_data
    return pooled


def day_stats(day_start_ms: int, pooled: Totals, zone: ZoneInfo) -> DailyStats:
    """The DailyStats of the local day starting at `day_start_ms`, from its pooled totals."""
    return DailyStats(
        date=local_date(day_start_ms, zone),
        avg_watts=pooled.avg_watts,
        max_watts=pooled.max_watts,
        min_watts=pooled.min_watts,
        total_readings=pooled.count,
        energy_wh=pooled.energy_wh,
        covered_seconds=pooled.covered_seconds,
        energy_in_wh=pooled.energy_in_wh,
        energy_out_wh=pooled.energy_out_wh,
    )


def daily_stats(
    days: Mapping[BucketKey, Totals], zone: ZoneInfo, appliance_id: int | None
) -> list[DailyStats]:
    """DailyStats per local day with readings, oldest first, from day rollups.

    With `appliance_id` None all appliances are pooled (see `pool`).
    """
    by_day: dict[int, list[Totals]] = {}
    for (owner, day_start_ms), totals in days.items():
        if totals.count and (appliance_id is None or owner == appliance_id):
            by_day.setdefault(day_start_ms, []).append(totals)
    return [day_stats(start_ms, pool(by_day[start_ms]), zone) for start_ms in sorted(by_day)]
