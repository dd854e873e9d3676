"""What energy costs: a flat price per kWh, over days and over the current day, week or month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from energymon.domain.model import DailyStats

__all__ = ["COST_DIGITS", "Period", "PricedDay", "cost", "period_start", "priced_days"]

Period = Literal["day", "week", "month"]
WH_PER_KWH = 1000.0
COST_DIGITS = 4  # a hundredth of a cent: finer than any bill, coarse enough to read


@dataclass(frozen=True, slots=True)
class PricedDay:
    """One local day's statistics and what its energy cost."""

    stats: DailyStats
    cost: float


def cost(energy_wh: float, price_per_kwh: float) -> float:
    """What `energy_wh` costs at `price_per_kwh`, rounded to COST_DIGITS of the currency."""
    return round(energy_wh / WH_PER_KWH * price_per_kwh, COST_DIGITS)


def priced_days(days: Iterable[DailyStats], price_per_kwh: float) -> list[PricedDay]:
    """Each day with the cost of its energy."""
    return [PricedDay(day, cost(day.energy_wh, price_per_kwh)) for day in days]


def period_start(period: Period, today: dt.date) -> dt.date:
    """The first day of the local day, ISO week (Monday) or calendar month holding `today`."""
    if period == "day":
        return today
    if period == "week":
        return today - dt.timedelta(days=today.weekday())
    return today.replace(day=1)
