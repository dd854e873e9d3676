"""The values that flow from the sampler to storage and the API."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

__all__ = ["ApplianceStatus", "DailyStats", "Gap", "Reading", "Rollup"]


class ApplianceStatus(enum.StrEnum):
    """Whether an appliance's sensor is delivering readings."""

    STARTING = "starting"
    OK = "ok"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class Reading:
    """One stored reading: the mean of the samples taken in one sampling interval.

    `timestamp_ms` is the start of the interval (UTC epoch milliseconds). `energy_wh` is the
    energy integrated at the full sampling rate and booked to this interval; `covered_seconds`
    is the part of the interval that energy covers (less than the interval after a gap).
    `volts` and `amps` are None where nothing measured them (history imported from the seed's
    CSV log, which has watts only); live readings always have both.
    """

    appliance_id: int
    timestamp_ms: int
    watts: float
    volts: float | None
    amps: float | None
    energy_wh: float
    covered_seconds: float
    samples: int = 1


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch with no good samples, longer than `max_gap`: no energy is booked across it."""

    appliance_id: int
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class Rollup:
    """Aggregate of the readings in one bucket (minute, hour or local day)."""

    appliance_id: int
    bucket_start_ms: int
    count: int
    sum_watts: float
    min_watts: float
    max_watts: float
    energy_wh: float
    covered_seconds: float

    @property
    def avg_watts(self) -> float:
        """Mean watts of the readings in the bucket."""
        return self.sum_watts / self.count if self.count else 0.0


@dataclass(frozen=True, slots=True)
class DailyStats:
    """Statistics of one local day: the seed's keys plus energy and coverage."""

    date: dt.date
    avg_watts: float
    max_watts: float
    min_watts: float
    total_readings: int
    energy_wh: float
    covered_seconds: float
