"""Local wall-clock times of the CSV log to UTC instants and back, one zone lookup per hour.

The log stamps rows with naive local time to the second. Converting each row through
`datetime` and the zone costs microseconds, so both directions are worked out once per hour
and cached: within an hour with no clock change, instants and local times differ by one fixed
offset. An hour is taken as regular when its first and last second each exist exactly once and
lie 3,599 s apart (a clock change inside it shifts one of them, or their distance); rows of
other hours (DST changes: twice a year) go through the exact per-row conversion of `reader`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from energymon.domain.buckets import HOUR_MS, to_epoch_ms

__all__ = ["IRREGULAR", "LocalClock"]

IRREGULAR = -1  # hour_base_ms of an hour a clock change falls into: convert its rows one by one
_LAST_SECOND = dt.timedelta(seconds=3599)
_DAY_MS = 86_400_000
_HOUR_PREFIX_BYTES = 14  # b"2024-12-04 10:" of b"2024-12-04 10:07:30"


def _minute_second_ms() -> dict[bytes, int]:
    """b"MM:SS" of every second of an hour, to its milliseconds after the hour."""
    return {f"{m:02d}:{s:02d}".encode(): (m * 60 + s) * 1000 for m in range(60) for s in range(60)}


class LocalClock:
    """Naive local stamps of one zone to UTC ms and back, cached per hour."""

    MINUTE_SECOND_MS = _minute_second_ms()

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.hour_bases: dict[bytes, int] = {}  # hour_base_ms's answers so far
        self._offset_of_hour: dict[int, int | None] = {}
        self._date_text: dict[int, str] = {}

    def hour_base_ms(self, prefix: bytes) -> int | None:
        """UTC ms of `prefix`'s hour (b"2024-12-04 10:"); IRREGULAR; None if not a valid hour."""
        base = self.hour_bases.get(prefix)
        if base is None:
            base = self._learn_hour(prefix)
        return base

    def _learn_hour(self, prefix: bytes) -> int | None:
        if len(prefix) != _HOUR_PREFIX_BYTES or not prefix[:13].isascii():
            return None
        try:
            start = dt.datetime.fromisoformat(prefix.decode() + "00:00")
        except ValueError:
            return None
        if start.tzinfo is not None or prefix[10:11] != b" ":
            return None
        first = [to_epoch_ms(start.replace(tzinfo=self.zone, fold=f)) for f in (0, 1)]
        end = start + _LAST_SECOND
        last = [to_epoch_ms(end.replace(tzinfo=self.zone, fold=f)) for f in (0, 1)]
        regular = first[0] == first[1] and last[0] == last[1] and last[0] - first[0] == 3_599_000
        base = first[0] if regular else IRREGULAR
        self.hour_bases[prefix] = base
        return base

    def local_text(self, ts_ms: int) -> str:
        """The local time of an instant as the log writes it: "2024-12-04 10:07:30"."""
        hour_ms = ts_ms - ts_ms % HOUR_MS
        if hour_ms in self._offset_of_hour:
            offset_ms = self._offset_of_hour[hour_ms]
        else:
            offset_ms = self._learn_offset(hour_ms)
        if offset_ms is None:  # a clock change in this hour: the exact way
            moment = dt.datetime.fromtimestamp(ts_ms / 1000, tz=self.zone)
            return moment.strftime("%Y-%m-%d %H:%M:%S")
        local_ms = ts_ms + offset_ms
        day, ms_of_day = divmod(local_ms, _DAY_MS)
        date_text = self._date_text.get(day)
        if date_text is None:
            date_text = self._date_text[day] = (dt.date(1970, 1, 1) + dt.timedelta(day)).isoformat()
        seconds = ms_of_day // 1000
        return f"{date_text} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    def _learn_offset(self, hour_ms: int) -> int | None:
        """The zone's offset (ms) through the UTC hour at `hour_ms`; None if it changes there."""
        offsets = {
            to_epoch_ms(dt.datetime.fromtimestamp(ms / 1000, tz=self.zone).replace(tzinfo=dt.UTC))
            - ms
            for ms in (hour_ms, hour_ms + HOUR_MS - 1000)
        }
        offset_ms = offsets.pop() if len(offsets) == 1 else None
        self._offset_of_hour[hour_ms] = offset_ms
        return offset_ms
