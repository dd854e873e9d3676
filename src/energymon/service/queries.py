"""What the API and the CLI ask: appliances, the latest reading, history, days and summaries.

Live state comes from the samplers' channels (memory, no lock); everything older from the
store, which merges the writer's unflushed buffer, so answers never lag by a flush.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from energymon.domain.buckets import local_day_bounds
from energymon.domain.model import ApplianceStatus, Reading
from energymon.domain.tariff import Period, PricedDay, cost, period_start, priced_days
from energymon.service.clock import Clock
from energymon.service.errors import NoReadingYet, SensorOffline, UnknownAppliance
from energymon.service.sampler import Channel
from energymon.service.views import ApplianceView, CurrentReading, Historical, Summary
from energymon.settings import ApplianceSettings, Settings
from energymon.storage.base import LifetimeEnergy, ReadingStore
from energymon.storage.history import HistoryPart, RecentPart, Settled

__all__ = ["MAX_POINTS", "Queries"]

MAX_POINTS = 2000  # per appliance in historical data: enough for a phone chart, small to send
# Live readings reach the store within seconds of their stamp; what is older than this is
# settled (a reading stamped earlier still counts, it only costs a cache its settled part).
SETTLED_AFTER_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class _Appliance:
    settings: ApplianceSettings
    channel: Channel


class Queries:
    """Answers about the configured appliances, from live state and the store."""

    def __init__(
        self, settings: Settings, channels: Sequence[Channel], *, store: ReadingStore, clock: Clock
    ) -> None:
        """The appliances of `settings` that have a channel, in configuration order."""
        self.store = store
        self.clock = clock
        self.zone = settings.zone
        self.tariff = settings.tariff
        by_id = {c.appliance_id: c for c in channels}
        self._appliances = {
            a.id: _Appliance(a, by_id[a.id]) for a in settings.appliances if a.id in by_id
        }

    def appliances(self) -> list[ApplianceView]:
        """Every configured appliance with its sensor's state, in configuration order."""
        return [self._view(a) for a in self._appliances.values()]

    def appliance(self, appliance_id: int) -> ApplianceView:
        """One appliance; UnknownAppliance when there is none with this id."""
        return self._view(self._get(appliance_id))

    def default_appliance_id(self) -> int:
        """The first configured appliance: what the seed's API means without applianceId."""
        return next(iter(self._appliances))

    def current(self, appliance_id: int) -> CurrentReading:
        """The latest reading; SensorOffline when the sensor is down or has not read yet."""
        state = self._get(appliance_id).channel.state
        reading = state.last_reading
        if state.status is ApplianceStatus.OFFLINE:
            raise SensorOffline(appliance_id, state.last_error or "no response")
        # A live reading always measured volts and amps; only imported history lacks them.
        if reading is None or reading.volts is None or reading.amps is None:
            raise NoReadingYet(appliance_id)
        return CurrentReading(reading, state.status)

    def history(self, appliance_id: int, limit: int = 24) -> list[Reading]:
        """The last `limit` readings of one appliance, oldest first."""
        self._get(appliance_id)
        return self.store.latest(appliance_id, limit)

    def change_mark(self) -> tuple[int, int, int]:
        """A value that moves with every change to what the queries below answer (readings,
        gaps, the past rewritten, pruning) made in this process."""
        return self.store.change_mark()

    def history_part(
        self, appliance_id: int, limit: int, since: tuple[int, tuple[int, int]] | None
    ) -> RecentPart:
        """`history`, or past what a cache holds (see ReadingStore.latest_part)."""
        self._get(appliance_id)
        settled_before_ms = round((self.clock.time() - SETTLED_AFTER_SECONDS) * 1000)
        return self.store.latest_part(
            appliance_id, limit, settled_before_ms=settled_before_ms, since=since
        )

    def lifetime_energy(self) -> LifetimeEnergy:
        """Energy per appliance since records began, measured live and imported apart."""
        return self.store.lifetime_energy()

    def lifetime_energy_wh(self) -> dict[int, float]:
        """Energy per appliance since records began (never decreases)."""
        return self.store.lifetime_energy_wh()

    def today(self) -> dt.date:
        """Today in the configured zone."""
        return dt.datetime.fromtimestamp(self.clock.time(), self.zone).date()

    def daily_stats(
        self, first_day: dt.date, last_day: dt.date, appliance_id: int | None = None
    ) -> list[PricedDay]:
        """Per-day statistics with cost, oldest first."""
        if appliance_id is not None:
            self._get(appliance_id)
        stats = self.store.daily_stats(first_day, last_day, appliance_id)
        return priced_days(stats, self.tariff.price_per_kwh)

    def historical(self, days: int, appliance_id: int | None = None) -> Historical:
        """The last `days` local days (today included): downsampled readings and daily stats."""
        if appliance_id is not None:
            self._get(appliance_id)
        last_day = self.today()
        first_day = last_day - dt.timedelta(days=days - 1)
        start_ms, _ = local_day_bounds(first_day, self.zone)
        _, end_ms = local_day_bounds(last_day, self.zone)
        data = self.store.readings_between(start_ms, end_ms, appliance_id, MAX_POINTS)
        return Historical(data, self.daily_stats(first_day, last_day, appliance_id))

    def historical_part(
        self, days: int, appliance_id: int | None, known: Settled | None
    ) -> tuple[HistoryPart, list[PricedDay]]:
        """`historical`, past what `known` holds (see ReadingStore.history_part), days priced."""
        if appliance_id is not None:
            self._get(appliance_id)
        now_s = self.clock.time()
        last_day = dt.datetime.fromtimestamp(now_s, self.zone).date()
        first_day = last_day - dt.timedelta(days=days - 1)
        settled_before_ms = round((now_s - SETTLED_AFTER_SECONDS) * 1000)
        part = self.store.history_part(
            (first_day, last_day),
            appliance_id,
            MAX_POINTS,
            settled_before_ms=settled_before_ms,
            known=known,
        )
        return part, priced_days(part.days, self.tariff.price_per_kwh)

    def summary(self, period: Period, appliance_id: int | None = None) -> Summary:
        """Energy and cost so far in the current local day, ISO week or calendar month."""
        end = self.today()
        start = period_start(period, end)
        days = [day.stats for day in self.daily_stats(start, end, appliance_id)]
        energy_wh = sum(day.energy_wh for day in days)
        return Summary(
            appliance_id=appliance_id,
            period=period,
            start=start,
            end=end,
            energy_kwh=energy_wh / 1000,
            cost=cost(energy_wh, self.tariff.price_per_kwh),
            currency=self.tariff.currency,
            energy_in_kwh=sum(day.energy_in_wh for day in days) / 1000,
            energy_out_kwh=sum(day.energy_out_wh for day in days) / 1000,
        )

    def _get(self, appliance_id: int) -> _Appliance:
        try:
            return self._appliances[appliance_id]
        except KeyError:
            raise UnknownAppliance(appliance_id) from None

    def _view(self, appliance: _Appliance) -> ApplianceView:
        state = appliance.channel.state
        config = appliance.settings
        at = state.last_sample_at
        return ApplianceView(
            id=config.id,
            name=config.name,
            driver=config.driver,
            bus=config.bus,
            address=config.address,
            status=state.status,
            last_error=state.last_error,
            error_count=state.error_count,
            overflow_count=state.overflow_count,
            last_sample_age_seconds=None if at is None else self.clock.monotonic() - at,
            last_reading=state.last_reading,
        )
