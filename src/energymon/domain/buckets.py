"""Time buckets: minutes and hours of UTC, days between local midnights of an IANA zone.

Instants are integer UTC epoch milliseconds. Minute and hour buckets are fixed widths, aligned
to the epoch. A local day runs from one local midnight to the next, so it lasts 23, 24 or 25
hours across DST and its edges fall on the half hour in zones like Asia/Kolkata (+05:30).
"""

from __future__ import annotations

import datetime as dt
import enum
from zoneinfo import ZoneInfo

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "MINUTE_MS",
    "LocalDays",
    "Tier",
    "bucket_index",
    "bucket_start",
    "floor_ms",
    "hour_start",
    "index_start",
    "local_date",
    "local_day_bounds",
    "local_day_start",
    "local_midnight_ms",
    "minute_start",
    "to_epoch_ms",
]

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000  # nominal: a local day is 23 to 25 hours long

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_MS = dt.timedelta(milliseconds=1)


class Tier(enum.Enum):
    """A resolution readings are kept at: raw, or rolled up per minute, hour or local day."""

    RAW = "raw"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"

    @property
    def nominal_ms(self) -> int:
        """The width of one bucket (raw: 1 ms, so any width is a whole number of them)."""
        return _NOMINAL_MS[self]


_NOMINAL_MS = {Tier.RAW: 1, Tier.MINUTE: MINUTE_MS, Tier.HOUR: HOUR_MS, Tier.DAY: DAY_MS}


def floor_ms(ts_ms: int, width_ms: int) -> int:
    """The start of the `width_ms` bucket (aligned to the epoch) that holds `ts_ms`."""
    return ts_ms - ts_ms % width_ms


def minute_start(ts_ms: int) -> int:
    """The start of the UTC minute holding `ts_ms`."""
    return ts_ms - ts_ms % MINUTE_MS


def hour_start(ts_ms: int) -> int:
    """The start of the UTC hour holding `ts_ms`."""
    return ts_ms - ts_ms % HOUR_MS


def to_epoch_ms(moment: dt.datetime) -> int:
    """An aware datetime as UTC epoch milliseconds (exact, no float rounding)."""
    return (moment - _EPOCH) // _ONE_MS


def local_date(ts_ms: int, zone: ZoneInfo) -> dt.date:
    """The calendar date in `zone` at the instant `ts_ms`."""
    # Exact: at today's magnitudes a float's error is far below the microseconds kept.
    return dt.datetime.fromtimestamp(ts_ms / 1000, tz=zone).date()


def local_midnight_ms(day: dt.date, zone: ZoneInfo) -> int:
    """The first instant of `day` in `zone`, as UTC epoch ms.

    Where midnight itself does not exist (clocks jump from 00:00 to 01:00, as in
    America/Santiago), fold=0 takes the offset before the jump, which lands on the jump: the
    day's first instant.
    """
    return to_epoch_ms(dt.datetime.combine(day, dt.time(), tzinfo=zone))


def local_day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[int, int]:
    """[start_ms, end_ms) of `day` in `zone`: 23, 24 or 25 hours long."""
    return local_midnight_ms(day, zone), local_midnight_ms(day + dt.timedelta(days=1), zone)


def local_day_start(ts_ms: int, zone: ZoneInfo) -> int:
    """The local midnight (as UTC epoch ms) that starts the day holding `ts_ms`."""
    return local_midnight_ms(local_date(ts_ms, zone), zone)


class LocalDays:
    """`local_day_start` with the last day remembered, for long runs of nearby instants."""

    __slots__ = ("_end_ms", "_start_ms", "zone")

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._start_ms = 0
        self._end_ms = 0  # empty until the first lookup

    def start_of(self, ts_ms: int) -> int:
        """The start of the local day holding `ts_ms`."""
        if not self._start_ms <= ts_ms < self._end_ms:
            self._start_ms, self._end_ms = local_day_bounds(local_date(ts_ms, self.zone), self.zone)
        return self._start_ms


def bucket_start(tier: Tier, ts_ms: int, zone: ZoneInfo) -> int:
    """The start of the `tier` bucket holding `ts_ms` (raw: the instant itself)."""
    if tier is Tier.MINUTE:
        return minute_start(ts_ms)
    if tier is Tier.HOUR:
        return hour_start(ts_ms)
    if tier is Tier.DAY:
        return local_day_start(ts_ms, zone)
    return ts_ms


def bucket_index(tier: Tier, ts_ms: int, zone: ZoneInfo) -> int:
    """Consecutive buckets have consecutive indexes (days: the local date's ordinal)."""
    if tier is Tier.DAY:
        return local_date(ts_ms, zone).toordinal()
    return ts_ms // tier.nominal_ms


def index_start(tier: Tier, index: int, zone: ZoneInfo) -> int:
    """The start of the bucket with this `bucket_index`."""
    if tier is Tier.DAY:
        return local_midnight_ms(dt.date.fromordinal(index), zone)
    return index * tier.nominal_ms
