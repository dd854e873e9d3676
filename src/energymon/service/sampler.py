"""One sampling thread per I²C bus: reads each sensor on absolute deadlines, never on asyncio."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog

from energymon.domain.energy import SECONDS_PER_HOUR, Emitted, Sample, WindowAccumulator
from energymon.domain.model import ApplianceStatus, Gap, Reading
from energymon.drivers.base import Sensor, SensorError
from energymon.service.cadence import SamplerStats
from energymon.service.clock import Clock
from energymon.service.timeline import Timeline

__all__ = ["BusSampler", "Channel", "ChannelState"]

log = structlog.get_logger("energymon.sampler")

# Retry an offline sensor after 0.5 s, doubling up to 30 s: a loose wire recovers quickly,
# a missing chip does not flood the bus or the log.
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0
# A sensor with no new conversion for this long (or 3 conversion times, if longer) has stopped.
STALE_SECONDS = 1.0


@dataclass(slots=True)
class ChannelState:
    """The live status of one appliance's sensor, read by the API without locking."""

    status: ApplianceStatus = ApplianceStatus.STARTING
    last_error: str | None = None
    error_count: int = 0
    consecutive_failures: int = 0
    overflow_count: int = 0
    stale_reads: int = 0  # consecutive reads without a new conversion
    retry_at: float = 0.0  # monotonic seconds
    last_sample_at: float | None = None  # monotonic seconds: an age survives a clock step
    last_reading: Reading | None = None
    configured: bool = False


@dataclass(eq=False, slots=True)  # eq=False: a channel is itself, not equal to a look-alike
class Channel:
    """One appliance on a bus: its sensor, its calibration factor and its energy window."""

    appliance_id: int
    name: str
    sensor: Sensor
    accumulator: WindowAccumulator
    calibration_factor: float = 1.0
    state: ChannelState = field(default_factory=ChannelState)


class BusSampler:
    """Samples every channel of one bus each period and hands on finished readings and gaps."""

    def __init__(
        self,
        name: str,
        channels: Sequence[Channel],
        *,
        period_seconds: float,
        clock: Clock,
        timeline: Timeline | None = None,
        on_reading: Callable[[Reading], None] = lambda reading: None,
        on_gap: Callable[[Gap], None] = lambda gap: None,
    ) -> None:
        self.name = name
        self.channels = list(channels)
        self.period_seconds = period_seconds
        self.clock = clock
        # Shared by every sampler of the process (bootstrap), so a step is counted once.
        self.timeline = timeline or Timeline(clock)
        self.stats = SamplerStats()
        self._on_reading = on_reading
        self._on_gap = on_gap
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for channel in self.channels:
            conversion = channel.sensor.conversion_time_seconds
            if conversion > period_seconds:
                log.warning(
                    "oversampling faster than the sensor converts",
                    appliance=channel.name,
                    period_ms=round(period_seconds * 1000, 2),
                    conversion_ms=round(conversion * 1000, 2),
                )

    def connect(self, on_reading: Callable[[Reading], None], on_gap: Callable[[Gap], None]) -> None:
        """Send finished readings and gaps to these callbacks (called on the sampler thread)."""
        self._on_reading = on_reading
        self._on_gap = on_gap

    def start(self) -> None:
        """Start the sampling thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=f"sampler-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and emit each channel's open window."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for channel in self.channels:
            self._emit(channel.accumulator.close())

    def run(self) -> None:
        """Tick on absolute deadlines; periods overrun are counted as missed, never doubled."""
        start = self.clock.monotonic()
        period = self.period_seconds
        k = 0
        while not self._stop.is_set():
            deadline = start + k * period
            now = self.clock.monotonic()
            if now < deadline:
                if self.clock.wait(self._stop, deadline - now):
                    break
                now = self.clock.monotonic()
            lag = now - deadline
            if lag >= period:
                skipped = math.floor(lag / period)
                self.stats.missed_periods += skipped
                k += skipped
                lag = now - (start + k * period)
            self._record_lag(lag, now)
            self.sample_once()
            k += 1

    def _record_lag(self, lag: float, now: float) -> None:
        stats = self.stats
        stats.ticks += 1
        stats.last_lag_seconds = lag
        stats.max_lag_seconds = max(stats.max_lag_seconds, lag)
        stats.recent_lags.append(lag)
        stats.last_tick_monotonic = now

    def sample_once(self) -> None:
        """Read every due channel once and pass on whatever windows closed."""
        for channel in self.channels:
            state = channel.state
            if state.status is ApplianceStatus.OFFLINE and self.clock.monotonic() < state.retry_at:
                self._emit(channel.accumulator.close_outside(self.timeline.now().wall))
                continue
            try:
                if not state.configured:
                    channel.sensor.configure()
                    state.configured = True
                measurement = channel.sensor.read()
            except SensorError as exc:
                self._fail(channel, exc)
                self._emit(channel.accumulator.close_outside(self.timeline.now().wall))
                continue
            if not measurement.conversion_ready:
                # No conversion finished since the last read: the registers repeat old values
                # (or hold none yet, right after configuring or a reset). Skip; a chip whose
                # ADC stopped is taken offline and configured afresh.
                self._stale(channel)
                continue
            state.stale_reads = 0
            now = self.timeline.now()
            if measurement.overflow:
                state.overflow_count += 1
            factor = channel.calibration_factor
            energy = measurement.energy_joules
            sample = Sample(
                t=now.wall,
                watts=measurement.watts * factor,
                volts=measurement.bus_volts,
                amps=measurement.amps * factor,
                mono=now.mono,
                counter_wh=None if energy is None else energy * factor / SECONDS_PER_HOUR,
            )
            if state.status is not ApplianceStatus.OK:
                if state.status is ApplianceStatus.OFFLINE:
                    log.info("sensor back online", appliance=channel.name)
                state.status = ApplianceStatus.OK
                state.consecutive_failures = 0
            state.last_sample_at = now.mono
            self._emit(channel.accumulator.add(sample), channel)

    def _stale(self, channel: Channel) -> None:
        state = channel.state
        state.stale_reads += 1
        limit = max(STALE_SECONDS, 3 * channel.sensor.conversion_time_seconds)
        if state.stale_reads * self.period_seconds > limit:
            state.stale_reads = 0
            where = channel.sensor.address
            prefix = f"{self.name} address 0x{where:02X}: " if where is not None else ""
            reason = f"{prefix}no new conversion for {limit:.1f} s (ADC stopped?)"
            self._fail(channel, SensorError(reason))

    def _fail(self, channel: Channel, exc: SensorError) -> None:
        state = channel.state
        state.error_count += 1
        state.consecutive_failures += 1
        state.last_error = str(exc)
        state.configured = False  # the chip may have lost power: configure again on retry
        delay = min(FIRST_RETRY_SECONDS * 2 ** (state.consecutive_failures - 1), MAX_RETRY_SECONDS)
        state.retry_at = self.clock.monotonic() + delay
        channel.accumulator.break_chain()
        if state.status is not ApplianceStatus.OFFLINE:
            log.warning("sensor offline", appliance=channel.name, error=str(exc))
        state.status = ApplianceStatus.OFFLINE

    def _emit(self, emitted: Emitted, channel: Channel | None = None) -> None:
        for reading in emitted.readings:
            if channel is not None:
                channel.state.last_reading = reading
            else:
                self._channel(reading.appliance_id).state.last_reading = reading
            self._on_reading(reading)
        for gap in emitted.gaps:
            self._on_gap(gap)

    def _channel(self, appliance_id: int) -> Channel:
        return next(c for c in self.channels if c.appliance_id == appliance_id)
