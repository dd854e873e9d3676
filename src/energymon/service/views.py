"""What the Monitor answers: plain frozen values the API and CLI turn into JSON or tables."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Literal

from energymon.domain.model import ApplianceStatus, Reading
from energymon.errors import EnergymonError
from energymon.storage.base import StoreHealth

__all__ = [
    "ApplianceView",
    "ClockView",
    "CurrentReading",
    "DayReport",
    "Health",
    "HealthStatus",
    "Historical",
    "Period",
    "SamplerView",
    "SensorOffline",
    "Summary",
    "UnknownAppliance",
    "WriterView",
]

Period = Literal["day", "week", "month"]


class UnknownAppliance(EnergymonError):
    """No appliance has this id."""

    def __init__(self, appliance_id: int) -> None:
        super().__init__(f"no appliance with id {appliance_id}")
        self.appliance_id = appliance_id


class SensorOffline(EnergymonError):
    """The appliance's sensor is not delivering readings; the message says why."""

    def __init__(self, appliance_id: int, reason: str) -> None:
        super().__init__(f"sensor of appliance {appliance_id} is offline: {reason}")
        self.appliance_id = appliance_id
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ApplianceView:
    """An appliance, its sensor and its state."""

    id: int
    name: str
    driver: str
    bus: int
    address: int
    status: ApplianceStatus
    last_error: str | None
    error_count: int
    overflow_count: int
    last_sample_age_seconds: float | None
    last_reading: Reading | None


@dataclass(frozen=True, slots=True)
class CurrentReading:
    """The latest stored reading of one appliance."""

    appliance_id: int
    timestamp: dt.datetime
    watts: float
    volts: float
    amps: float
    status: ApplianceStatus


@dataclass(frozen=True, slots=True)
class DayReport:
    """One local day's statistics with its cost."""

    date: dt.date
    avg_watts: float
    max_watts: float
    min_watts: float
    total_readings: int
    energy_wh: float
    cost: float
    covered_seconds: float


@dataclass(frozen=True, slots=True)
class Historical:
    """Readings of the last days (downsampled) and one report per day."""

    data: list[Reading]
    daily_stats: list[DayReport]


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


class HealthStatus(enum.StrEnum):
    """How well the service records (service.health says what each state means)."""

    OK = "ok"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True, slots=True)
class Health:
    """The service's state with its reasons, and each part's view."""

    status: HealthStatus
    reasons: list[str]
    alive: bool  # the threads make progress: feed the systemd watchdog
    uptime_seconds: float
    appliances: list[ApplianceView]
    samplers: list[SamplerView]
    storage: StoreHealth
    writer: WriterView
    clock: ClockView

    @property
    def healthy(self) -> bool:
        """True unless the service cannot record."""
        return self.status is not HealthStatus.UNHEALTHY
