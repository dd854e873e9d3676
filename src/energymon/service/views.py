"""What the service answers: plain frozen values the API and CLI turn into JSON or tables.

Each holds domain values (a Reading, a PricedDay) rather than copying their fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from energymon.domain.model import ApplianceStatus, Reading
from energymon.domain.tariff import Period, PricedDay

__all__ = [
    "ApplianceView",
    "ClockView",
    "CurrentReading",
    "Historical",
    "PublisherView",
    "SamplerView",
    "Summary",
    "WriterView",
]


@dataclass(frozen=True, slots=True)
class ApplianceView:
    """An appliance, its sensor and its state."""

    id: int
    name: str
    driver: str
    bus: int
    address: int | None  # None: a sensor found another way (hwmon by name)
    status: ApplianceStatus
    last_error: str | None
    error_count: int
    overflow_count: int
    last_sample_age_seconds: float | None
    last_reading: Reading | None


@dataclass(frozen=True, slots=True)
class CurrentReading:
    """The latest live reading of one appliance (it has volts and amps) and its sensor's status."""

    reading: Reading
    status: ApplianceStatus


@dataclass(frozen=True, slots=True)
class Historical:
    """Readings of the last days (downsampled) and each day's statistics with its cost."""

    data: list[Reading]
    daily_stats: list[PricedDay]


@dataclass(frozen=True, slots=True)
class Summary:
    """Energy and cost of one appliance (or all) over the current day, week or month."""

    appliance_id: int | None
    period: Period
    start: dt.date
    end: dt.date
    energy_kwh: float
    cost: float
    currency: str
    energy_in_kwh: float
    energy_out_kwh: float


@dataclass(frozen=True, slots=True)
class SamplerView:
    """How one bus sampler keeps its cadence."""

    name: str
    period_seconds: float
    ticks: int
    missed_periods: int
    last_lag_seconds: float
    max_lag_seconds: float
    p99_lag_seconds: float
    last_tick_age_seconds: float | None
    stuck: bool


@dataclass(frozen=True, slots=True)
class WriterView:
    """The storage writer thread: failed flushes, whether it still runs, the CSV log's state."""

    flushes: int
    failed_flushes: int
    last_attempt_age_seconds: float | None
    stuck: bool
    csv_log_error: str | None


@dataclass(frozen=True, slots=True)
class ClockView:
    """Steps of the wall clock seen since start, and the last one."""

    steps: int
    last_step_seconds: float | None
    last_step_at_ms: int | None
    last_step_age_seconds: float | None


@dataclass(frozen=True, slots=True)
class PublisherView:
    """A publisher sending readings elsewhere (MQTT): its link, what it sent, what waits.

    `queued_readings` are readings not yet acknowledged by the far end (on disk and in memory);
    `dropped_readings` were given up since start, oldest first, past the publisher's bound.
    """

    name: str
    target: str
    connected: bool
    last_error: str | None
    queued_readings: int
    published: int
    failed: int
    reconnects: int
    dropped_readings: int
