"""The values that flow from the sampler to storage and the API."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

__all__ = ["ApplianceStatus", "DailyStats", "Flow", "Gap", "Reading", "Rollup"]


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

    `energy_wh` is net: what flowed in (current positive: consumed, charged) less what flowed
    out (current negative: fed back, discharged). `energy_out_wh` (≥ 0) is the part that
    flowed out, split from the rest at the full sampling rate; None where only the net is
    known (imported history, readings stored before schema v4), and then the net's sign tells
    (exact unless the current reversed within the interval). `in_wh` and `out_wh` never are
    negative, and `in_wh - out_wh == energy_wh`.
    """

    appliance_id: int
    timestamp_ms: int
    watts: float
    volts: float | None
    amps: float | None
    energy_wh: float
    covered_seconds: float
    samples: int = 1
    energy_out_wh: float | None = None

    @property
    def out_wh(self) -> float:
        """Energy that flowed out (negative current) in the interval, in Wh (≥ 0)."""
        out = self.energy_out_wh
        if out is None:
            return -self.energy_wh if self.energy_wh < 0.0 else 0.0
        return out

    @property
    def in_wh(self) -> float:
        """Energy that flowed in (positive current) in the interval, in Wh (≥ 0)."""
        return self.energy_wh + self.out_wh


@dataclass(slots=True)
class Flow:
    """Energy in Wh that flowed in (positive current) and out (negative current), both ≥ 0."""

    in_wh: float = 0.0
    out_wh: float = 0.0

    def add(self, other: Flow) -> None:
        """Count another flow in."""
        self.in_wh += other.in_wh
        self.out_wh += other.out_wh


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
    """Statistics of one local day: the seed's keys plus energy (net, in, out) and coverage."""

    date: dt.date
    avg_watts: float
    max_watts: float
    min_watts: float
    total_readings: int
    energy_wh: float
    covered_seconds: float
    energy_in_wh: float
    energy_out_wh: float
