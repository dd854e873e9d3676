"""Response models where the wire differs from the service's types, each docstring says how:
the seed's `applianceId` key, rounding, hex addresses, naive local timestamps (api.timestamps).
"""

from __future__ import annotations

import datetime as dt
from typing import Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from energymon.api.timestamps import LocalDateTime, local_time, utc_time
from energymon.domain.model import ApplianceStatus, Reading
from energymon.domain.tariff import Period, PricedDay
from energymon.service.views import ApplianceView, CurrentReading, Historical, Summary

__all__ = [
    "ApiModel",
    "ApplianceOut",
    "AppliancesResponse",
    "DayStatsOut",
    "EnergyNow",
    "ErrorOut",
    "HistoricalResponse",
    "HistoryResponse",
    "ReadingOut",
    "SummaryOut",
]

# Digits kept: below the INA219's resolution (power LSB 2 mW, current LSB 100 µA at 0.1 Ω),
# so nothing real is lost and responses stay small.
WATTS_DIGITS, VOLTS_DIGITS, AMPS_DIGITS, WH_DIGITS, KWH_DIGITS = 3, 3, 5, 4, 7


def _rounded(value: float | None, digits: int) -> float | None:
    """`value` to `digits` decimals; None (not measured) stays None."""
    return None if value is None else round(value, digits)


class ApiModel(BaseModel):
    """Base of every response model: immutable, built by field name or alias."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)


class ErrorOut(ApiModel):
    """Every error response: a JSON object with a `detail` message."""

    detail: str = Field(examples=["no appliance with id 9"])


class ReadingOut(ApiModel):
    """One stored reading: the seed's keys (`applianceId`, local `timestamp` without offset),
    then volts, amps and the UTC instant; values rounded below the sensor's resolution."""

    timestamp: LocalDateTime = Field(
        description="Start of the reading's interval, local time of the configured zone, "
        "ISO 8601 without offset (the seed's format).",
        examples=["2024-12-04T10:30:45"],
    )
    watts: float = Field(examples=[125.5])
    appliance_id: int = Field(alias="applianceId", examples=[1])
    volts: float | None = Field(
        description="null where nothing measured it (history imported from a CSV log)",
        examples=[12.02],
    )
    amps: float | None = Field(
        description="null where nothing measured it (history imported from a CSV log)",
        examples=[10.44],
    )
    timestamp_utc: dt.datetime = Field(
        description="The same instant in UTC.", examples=["2024-12-04T09:30:45Z"]
    )

    @staticmethod
    def row(reading: Reading, zone: ZoneInfo) -> dict[str, object]:
        """The fields of a stored reading, by alias, for validation in bulk.

        Lists of thousands of readings are validated in one call from plain dicts: pydantic
        does that in Rust, several times faster than building model objects one by one.
        """
        moment = utc_time(reading.timestamp_ms)
        return {
            "timestamp": local_time(moment, zone),
            "watts": round(reading.watts, WATTS_DIGITS),
            "applianceId": reading.appliance_id,
            "volts": _rounded(reading.volts, VOLTS_DIGITS),
            "amps": _rounded(reading.amps, AMPS_DIGITS),
            "timestamp_utc": moment,
        }


class EnergyNow(ReadingOut):
    """GET /energy: the latest reading, in the keys of a stored one, and the sensor's status."""

    volts: float = Field(examples=[12.02])  # a live reading always measured them
    amps: float = Field(examples=[10.44])
    status: ApplianceStatus

    @classmethod
    def of(cls, current: CurrentReading, zone: ZoneInfo) -> Self:
        """The API's view of the current reading."""
        return cls.model_validate(
            ReadingOut.row(current.reading, zone) | {"status": current.status}
        )


class HistoryResponse(ApiModel):
    """GET /energy/history: the last readings, oldest first."""

    data: list[ReadingOut]

    @classmethod
    def of(cls, readings: list[Reading], zone: ZoneInfo) -> Self:
        """The API's view of a run of stored readings."""
        return cls.model_validate({"data": [ReadingOut.row(r, zone) for r in readings]})


class DayStatsOut(ApiModel):
    """One local day: the seed's statistics plus energy (net, in, out), cost and coverage, all
    in one object, watts and energy rounded below the sensor's resolution."""

    date: dt.date = Field(examples=["2024-12-04"])
    avg_watts: float
    max_watts: float
    min_watts: float
    total_readings: int
    energy_wh: float = Field(description="Net energy: energy_in_wh − energy_out_wh")
    cost: float = Field(description="energy × tariff.price_per_kwh, in the tariff's currency")
    covered_seconds: float = Field(description="Seconds of the day with measured energy")
    energy_in_wh: float = Field(
        description="Energy that flowed in (positive current: consumed, or a battery charging)"
    )
    energy_out_wh: float = Field(
        description="Energy that flowed out (negative current: fed back, or a battery discharging)"
    )

    @staticmethod
    def row(day: PricedDay) -> dict[str, object]:
        """The fields of a priced day, for validation in bulk."""
        stats = day.stats
        return {
            "date": stats.date,
            "avg_watts": round(stats.avg_watts, WATTS_DIGITS),
            "max_watts": round(stats.max_watts, WATTS_DIGITS),
            "min_watts": round(stats.min_watts, WATTS_DIGITS),
            "total_readings": stats.total_readings,
            "energy_wh": round(stats.energy_wh, WH_DIGITS),
            "cost": day.cost,
            "covered_seconds": round(stats.covered_seconds, 3),
            "energy_in_wh": round(stats.energy_in_wh, WH_DIGITS),
            "energy_out_wh": round(stats.energy_out_wh, WH_DIGITS),
        }


class HistoricalResponse(ApiModel):
    """GET /logs/historical-data: downsampled readings and one report per local day."""

    data: list[ReadingOut]
    daily_stats: list[DayStatsOut]

    @classmethod
    def of(cls, historical: Historical, zone: ZoneInfo) -> Self:
        """The API's view of the historical answer."""
        return cls.model_validate(
            {
                "data": [ReadingOut.row(r, zone) for r in historical.data],
                "daily_stats": [DayStatsOut.row(d) for d in historical.daily_stats],
            }
        )


class ApplianceOut(ApiModel):
    """An appliance, where its sensor sits (I²C address in hex) and whether it answers."""

    id: int = Field(examples=[1])
    name: str = Field(examples=["Refrigerator"])
    address: str | None = Field(
        description="I²C address in hex (null for a sensor found by its hwmon name)",
        examples=["0x40"],
    )
    driver: str = Field(examples=["ina219"])
    bus: int = Field(examples=[1])
    status: ApplianceStatus
    last_error: str | None = None

    @classmethod
    def of(cls, view: ApplianceView) -> Self:
        """The API's view of an appliance."""
        return cls(
            id=view.id,
            name=view.name,
            address=None if view.address is None else f"0x{view.address:02X}",
            driver=view.driver,
            bus=view.bus,
            status=view.status,
            last_error=view.last_error,
        )


class AppliancesResponse(ApiModel):
    """GET /appliances, in configuration order."""

    appliances: list[ApplianceOut]


class SummaryOut(ApiModel):
    """GET /energy/summary: energy (kWh, rounded to 0.1 mWh) and cost so far in the current
    day, week or month, of the appliance `applianceId` (the seed's key) or of all."""

    appliance_id: int | None = Field(alias="applianceId", description="null: all appliances")
    period: Period
    start: dt.date
    end: dt.date
    energy_kwh: float = Field(description="Net energy: energy_in_kwh − energy_out_kwh")
    cost: float
    currency: str
    energy_in_kwh: float = Field(description="Energy that flowed in (positive current)")
    energy_out_kwh: float = Field(description="Energy that flowed out (negative current)")

    @classmethod
    def of(cls, summary: Summary) -> Self:
        """The API's view of a summary."""
        return cls(
            appliance_id=summary.appliance_id,
            period=summary.period,
            start=summary.start,
            end=summary.end,
            energy_kwh=round(summary.energy_kwh, KWH_DIGITS),
            cost=summary.cost,
            currency=summary.currency,
            energy_in_kwh=round(summary.energy_in_kwh, KWH_DIGITS),
            energy_out_kwh=round(summary.energy_out_kwh, KWH_DIGITS),
        )
