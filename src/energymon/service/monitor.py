"""The Monitor: the one facade the API and the CLI use to run and query energymon."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from energymon.domain.buckets import local_day_bounds
from energymon.domain.model import ApplianceStatus, DailyStats, Gap, Reading
from energymon.drivers.base import SMBusLike
from energymon.service.clock import Clock
from energymon.service.health import assess
from energymon.service.sampler import BusSampler, Channel
from energymon.service.timeline import Timeline
from energymon.service.views import (
    ApplianceView,
    ClockView,
    CurrentReading,
    DayReport,
    Health,
    Historical,
    Period,
    SamplerView,
    SensorOffline,
    Summary,
    UnknownAppliance,
)
from energymon.service.writer import StorageWriter
from energymon.settings import ApplianceSettings, Settings
from energymon.storage.base import LifetimeEnergy, ReadingStore

__all__ = ["MAX_POINTS", "Monitor", "Subscriber"]

log = structlog.get_logger("energymon.monitor")

Subscriber = Callable[[Reading], None]
MAX_POINTS = 2000  # per appliance in historical data: enough for a phone chart, small to send
# A sampler that has not ticked for this many periods (and at least STUCK_MIN_SECONDS) is stuck.
STUCK_PERIODS = 20
STUCK_MIN_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class _Appliance:
    settings: ApplianceSettings
    channel: Channel


class Monitor:
    """Samplers, storage and queries behind one small interface."""

    def __init__(
        self,
        settings: Settings,
        *,
        samplers: Sequence[BusSampler],
        store: ReadingStore,
        writer: StorageWriter,
        clock: Clock,
        timeline: Timeline | None = None,
        buses: Sequence[SMBusLike] = (),
    ) -> None:
        self.settings = settings
        self.samplers = list(samplers)
        self.store = store
        self.writer = writer
        self.clock = clock
        self.timeline = timeline or Timeline(clock)
        self.zone = settings.zone
        self._buses = list(buses)
        self._subscribers: list[Subscriber] = []
        self._subscribers_lock = threading.Lock()
        self._started_at = clock.monotonic()
        self._running = False
        for sampler in self.samplers:
            sampler.connect(self.on_reading, self.on_gap)
        channels = {c.appliance_id: c for s in self.samplers for c in s.channels}
        self._appliances = {
            a.id: _Appliance(a, channels[a.id]) for a in settings.appliances if a.id in channels
        }

    # lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer and one sampler thread per bus."""
        if self._running:
            return
        self._running = True
        self._started_at = self.clock.monotonic()
        self.writer.start()
        for sampler in self.samplers:
            sampler.start()
        log.info("monitor started", appliances=len(self._appliances), buses=len(self.samplers))

    def stop(self) -> None:
        """Stop sampling, flush everything to disk and release buses and the store."""
        if not self._running:
            return
        self._running = False
        for sampler in self.samplers:
            sampler.stop()
        self.writer.stop()
        self.store.close()
        for channel in (a.channel for a in self._appliances.values()):
            channel.sensor.close()
        for bus in self._buses:
            bus.close()
        log.info("monitor stopped")

    def __enter__(self) -> Monitor:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # called from sampler threads ---------------------------------------------------------------

    def on_reading(self, reading: Reading) -> None:
        """Store a finished reading and tell the subscribers (sampler thread)."""
        self.writer.add(reading)
        with self._subscribers_lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(reading)
            except Exception:
                log.exception("subscriber failed", subscriber=repr(subscriber))

    def on_gap(self, gap: Gap) -> None:
        """Record a stretch without energy (sampler thread)."""
        self.store.record_gap(gap)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` (on a sampler thread; keep it quick) for each new reading.

        Returns the function that unsubscribes.
        """
        with self._subscribers_lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._subscribers_lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    # queries -----------------------------------------------------------------------------------

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
        appliance = self._get(appliance_id)
        state = appliance.channel.state
        reading = state.last_reading
        if state.status is ApplianceStatus.OFFLINE:
            raise SensorOffline(appliance_id, state.last_error or "no response")
        # A live reading always measured volts and amps; only imported history lacks them.
        if reading is None or reading.volts is None or reading.amps is None:
            raise SensorOffline(appliance_id, "no reading yet (sensor starting)")
        return CurrentReading(
            appliance_id=appliance_id,
            timestamp=_utc(reading.timestamp_ms),
            watts=reading.watts,
            volts=reading.volts,
            amps=reading.amps,
            status=state.status,
        )

    def history(self, appliance_id: int, limit: int = 24) -> list[Reading]:
        """The last `limit` readings of one appliance, oldest first."""
        self._get(appliance_id)
        return self.store.latest(appliance_id, limit)

    def lifetime_energy(self) -> LifetimeEnergy:
        """Energy per appliance since records began, measured live and imported apart."""
        return self.store.lifetime_energy()

    def today(self) -> dt.date:
        """Today in the configured zone."""
        return dt.datetime.fromtimestamp(self.clock.time(), self.zone).date()

    def daily_stats(
        self, first_day: dt.date, last_day: dt.date, appliance_id: int | None = None
    ) -> list[DayReport]:
        """Per-day statistics with cost, oldest first."""
        if appliance_id is not None:
            self._get(appliance_id)
        stats = self.store.daily_stats(first_day, last_day, appliance_id)
        return [self._report(day) for day in stats]

    def historical(self, days: int, appliance_id: int | None = None) -> Historical:
        """The last `days` local days (today included): downsampled readings and daily stats."""
        if appliance_id is not None:
            self._get(appliance_id)
        last_day = self.today()
        first_day = last_day - dt.timedelta(days=days - 1)
        start_ms, _ = local_day_bounds(first_day, self.zone)
        _, end_ms = local_day_bounds(last_day, self.zone)
        data = self.store.readings_between(start_ms, end_ms, appliance_id, MAX_POINTS)
        return Historical(
            data=data, daily_stats=self.daily_stats(first_day, last_day, appliance_id)
        )

    def summary(self, period: Period, appliance_id: int | None = None) -> Summary:
        """Energy and cost so far in the current local day, ISO week or calendar month."""
        end = self.today()
        if period == "day":
            start = end
        elif period == "week":
            start = end - dt.timedelta(days=end.weekday())
        else:
            start = end.replace(day=1)
        reports = self.daily_stats(start, end, appliance_id)
        energy_wh = sum(r.energy_wh for r in reports)
        return Summary(
            appliance_id=appliance_id,
            period=period,
            start=start,
            end=end,
            energy_kwh=energy_wh / 1000,
            cost=self._cost(energy_wh),
            currency=self.settings.tariff.currency,
        )

    def lifetime_energy_wh(self) -> dict[int, float]:
        """Energy per appliance since records began (never decreases)."""
        return self.store.lifetime_energy_wh()

    def health(self) -> Health:
        """The service's state and its reasons, with every part's view."""
        appliances = self.appliances()
        samplers = [self._sampler_view(s) for s in self.samplers]
        storage = self.store.health()
        writer = self.writer.view()
        clock = self._clock_view()
        verdict = assess(
            running=self._running,
            appliances=appliances,
            samplers=samplers,
            storage=storage,
            writer=writer,
            clock=clock,
        )
        return Health(
            status=verdict.status,
            reasons=verdict.reasons,
            alive=verdict.alive,
            uptime_seconds=self.clock.monotonic() - self._started_at,
            appliances=appliances,
            samplers=samplers,
            storage=storage,
            writer=writer,
            clock=clock,
        )

    def _clock_view(self) -> ClockView:
        step = self.timeline.last_step
        return ClockView(
            steps=self.timeline.step_count,
            last_step_seconds=None if step is None else step.seconds,
            last_step_at_ms=None if step is None else round(step.wall_after * 1000),
            last_step_age_seconds=None if step is None else self.clock.monotonic() - step.mono_at,
        )

    # helpers -----------------------------------------------------------------------------------

    def _get(self, appliance_id: int) -> _Appliance:
        try:
            return self._appliances[appliance_id]
        except KeyError:
            raise UnknownAppliance(appliance_id) from None

    def _view(self, appliance: _Appliance) -> ApplianceView:
        state = appliance.channel.state
        config = appliance.settings
        age = (
            None if state.last_sample_at is None else self.clock.monotonic() - state.last_sample_at
        )
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
            last_sample_age_seconds=age,
            last_reading=state.last_reading,
        )

    def _sampler_view(self, sampler: BusSampler) -> SamplerView:
        stats = sampler.stats
        now = self.clock.monotonic()
        last = stats.last_tick_monotonic
        age = None if last is None else now - last
        limit = max(STUCK_PERIODS * sampler.period_seconds, STUCK_MIN_SECONDS)
        since = age if age is not None else now - self._started_at
        return SamplerView(
            name=sampler.name,
            period_seconds=sampler.period_seconds,
            ticks=stats.ticks,
            missed_periods=stats.missed_periods,
            last_lag_seconds=stats.last_lag_seconds,
            max_lag_seconds=stats.max_lag_seconds,
            p99_lag_seconds=stats.p99_lag_seconds(),
            last_tick_age_seconds=age,
            stuck=self._running and since > limit,
        )

    def _cost(self, energy_wh: float) -> float:
        return round(energy_wh / 1000 * self.settings.tariff.price_per_kwh, 4)

    def _report(self, day: DailyStats) -> DayReport:
        return DayReport(
            date=day.date,
            avg_watts=day.avg_watts,
            max_watts=day.max_watts,
            min_watts=day.min_watts,
            total_readings=day.total_readings,
            energy_wh=day.energy_wh,
            cost=self._cost(day.energy_wh),
            covered_seconds=day.covered_seconds,
        )


def _utc(timestamp_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp_ms / 1000, dt.UTC)
