"""MemoryStore's committed state: the tables of SqliteStore as dicts (storage.tables.Tables)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar
from zoneinfo import ZoneInfo

from energymon.domain.buckets import Tier
from energymon.domain.daily import daily_stats
from energymon.domain.model import DailyStats, Flow, Gap, Reading
from energymon.domain.resample import Grouping
from energymon.domain.stats import (
    Rollups,
    Totals,
    bucket_readings,
    flows_of,
    tier_rollups,
)
from energymon.storage.base import StoredAppliance

__all__ = ["MemoryTables"]

_ROLLED_UP = (Tier.MINUTE, Tier.HOUR, Tier.DAY)
_V = TypeVar("_V")


def _drop_appliance(table: dict[tuple[int, int], _V], appliance_id: int) -> None:
    """Delete the entries keyed (appliance_id, ...) of one appliance."""
    for key in [key for key in table if key[0] == appliance_id]:
        del table[key]


class MemoryTables:
    """The committed state, as dicts; implements storage.tables.Tables."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.raw: dict[tuple[int, int], Reading] = {}
        self.rollups: dict[Tier, Rollups] = {tier: {} for tier in _ROLLED_UP}
        self.appliances: set[int] = set()
        self.names: dict[int, str] = {}
        self.gaps: dict[tuple[int, int], Gap] = {}
        self.imported: dict[int, Flow] = {}

    def appliance_ids(self) -> set[int]:
        return set(self.appliances)

    def raw_count(self, appliance_id: int, start_ms: int, end_ms: int, limit: int) -> int:
        return min(limit, len(self.raw_between(appliance_id, start_ms, end_ms)))

    def raw_between(self, appliance_id: int | None, start_ms: int, end_ms: int) -> list[Reading]:
        return sorted(
            (
                r
                for (owner, ts_ms), r in self.raw.items()
                if start_ms <= ts_ms < end_ms and appliance_id in (None, owner)
            ),
            key=lambda r: (r.timestamp_ms, r.appliance_id),
        )

    def raw_timestamps(self, appliance_id: int, first_ms: int, last_ms: int) -> set[int]:
        return {ts for owner, ts in self.raw if owner == appliance_id and first_ms <= ts <= last_ms}

    def latest(self, appliance_id: int, limit: int) -> list[Reading]:
        mine = sorted(
            (r for (owner, _), r in self.raw.items() if owner == appliance_id),
            key=lambda r: r.timestamp_ms,
        )
        return mine[-limit:] if limit > 0 else []

    def rollups_between(
        self, tier: Tier, appliance_id: int | None, start_ms: int, end_ms: int
    ) -> Rollups:
        return {
            (owner, bucket_ms): totals
            for (owner, bucket_ms), totals in self.rollups[tier].items()
            if start_ms <= bucket_ms < end_ms and appliance_id in (None, owner)
        }

    def grouped_rollups(self, grouping: Grouping, appliance_id: int | None) -> Rollups:
        tier, start_ms, end_ms = grouping.tier, grouping.start_ms, grouping.end_ms
        return grouping.group(self.rollups_between(tier, appliance_id, start_ms, end_ms))

    def bucket_readings(
        self, tier: Tier, appliance_id: int | None, start_ms: int, end_ms: int
    ) -> list[Reading]:
        return bucket_readings(self.rollups_between(tier, appliance_id, start_ms, end_ms))

    def daily_stats(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[DailyStats]:
        days = self.rollups_between(Tier.DAY, appliance_id, start_ms, end_ms)
        return daily_stats(days, self.zone, appliance_id)

    def write(self, readings: Sequence[Reading], *, raw: bool) -> None:
        if raw:
            self.raw.update(((r.appliance_id, r.timestamp_ms), r) for r in readings)
        for tier, rollups in tier_rollups(readings, self.zone).items():
            into = self.rollups[tier]
            for key, totals in rollups.items():
                if key in into:
                    into[key].merge(totals)
                else:
                    into[key] = totals
        self.appliances.update(r.appliance_id for r in readings)

    def lifetime(self) -> dict[int, Flow]:
        totals: dict[int, Flow] = {}
        for (appliance_id, _), day in self.rollups[Tier.DAY].items():
            totals.setdefault(appliance_id, Flow()).add(Flow(day.energy_in_wh, day.energy_out_wh))
        return totals

    def imported_energy(self) -> dict[int, Flow]:
        return {appliance_id: Flow(f.in_wh, f.out_wh) for appliance_id, f in self.imported.items()}

    def gaps_between(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[Gap]:
        return [
            gap
            for (owner, _), gap in self.gaps.items()
            if gap.start_ms < end_ms and gap.end_ms > start_ms and appliance_id in (None, owner)
        ]

    def past_version(self) -> int:
        return 0  # only this process writes it, and tells its PastWatch itself

    def add_imported(self, readings: Iterable[Reading]) -> None:
        for appliance_id, flow in flows_of(readings).items():
            self.imported.setdefault(appliance_id, Flow()).add(flow)

    def name_appliances(self, names: Mapping[int, str]) -> None:
        self.appliances.update(names)
        self.names.update(names)

    def stored_appliances(self) -> list[StoredAppliance]:
        per_appliance: dict[int, Totals] = {}
        for (appliance_id, _), day in self.rollups[Tier.DAY].items():
            per_appliance.setdefault(appliance_id, Totals()).merge(day)
        return [
            StoredAppliance(appliance_id, self.names.get(appliance_id), t.count, t.energy_in_wh)
            for appliance_id, t in sorted(per_appliance.items())
            if t.count
        ]

    def forget(self, appliance_id: int) -> None:
        _drop_appliance(self.raw, appliance_id)
        _drop_appliance(self.gaps, appliance_id)
        for rollups in self.rollups.values():
            _drop_appliance(rollups, appliance_id)
        self.appliances.discard(appliance_id)
        self.names.pop(appliance_id, None)
        self.imported.pop(appliance_id, None)

    def add_gaps(self, gaps: Iterable[Gap]) -> None:
        for gap in gaps:
            known = self.gaps.get((gap.appliance_id, gap.start_ms))
            if known is None or known.end_ms < gap.end_ms:
                self.gaps[(gap.appliance_id, gap.start_ms)] = gap
