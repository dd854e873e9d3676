"""JSON items of readings and days, written directly: the bytes pydantic writes, a few times faster.

Long answers (thousands of readings) spent most of their time building a dict per reading and
validating it. These functions write each item's JSON text straight from the domain values,
rounded as ReadingOut.row and DayStatsOut.row round them; tests hold them to pydantic's bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from energymon.api.schemas import AMPS_DIGITS, VOLTS_DIGITS, WATTS_DIGITS, WH_DIGITS
from energymon.domain.model import Reading
from energymon.domain.tariff import PricedDay

__all__ = ["day_items", "reading_items"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NAIVE_EPOCH = _EPOCH.replace(tzinfo=None)  # UTC wall time: the text before the Z
_FLOAT = TypeAdapter(float)


def _number(value: float) -> str:
    """A float as pydantic writes it: repr, except exponents and non-finite values."""
    text = repr(float(value))
    if "e" in text or "n" in text:  # 1e-05 is 0.00001 there; nan and inf are null
        return _FLOAT.dump_json(value).decode()
    return text


def _optional(value: float | None, digits: int) -> str:
    return "null" if value is None else _number(round(value, digits))


def reading_items(readings: Iterable[Reading], zone: ZoneInfo) -> list[str]:
    """One ReadingOut object per reading, as JSON text."""
    items = []
    for r in readings:
        delta = dt.timedelta(milliseconds=r.timestamp_ms)
        local = (_EPOCH + delta).astimezone(zone).replace(tzinfo=None).isoformat()
        utc = (_NAIVE_EPOCH + delta).isoformat()
        items.append(
            f'{{"timestamp":"{local}","watts":{_number(round(r.watts, WATTS_DIGITS))},'
            f'"applianceId":{int(r.appliance_id)},"volts":{_optional(r.volts, VOLTS_DIGITS)},'
            f'"amps":{_optional(r.amps, AMPS_DIGITS)},"timestamp_utc":"{utc}Z"}}'
        )
    return items


def day_items(days: Iterable[PricedDay]) -> list[str]:
    """One DayStatsOut object per priced day, as JSON text."""
    items = []
    for day in days:
        s = day.stats
        items.append(
            f'{{"date":"{s.date.isoformat()}",'
            f'"avg_watts":{_number(round(s.avg_watts, WATTS_DIGITS))},'
            f'"max_watts":{_number(round(s.max_watts, WATTS_DIGITS))},'
            f'"min_watts":{_number(round(s.min_watts, WATTS_DIGITS))},'
            f'"total_readings":{int(s.total_readings)},'
            f'"energy_wh":{_number(round(s.energy_wh, WH_DIGITS))},"cost":{_number(day.cost)},'
            f'"covered_seconds":{_number(round(s.covered_seconds, 3))},'
            f'"energy_in_wh":{_number(round(s.energy_in_wh, WH_DIGITS))},'
            f'"energy_out_wh":{_number(round(s.energy_out_wh, WH_DIGITS))}}}'
        )
    return items
