"""Timestamps on the wire: the seed's naive local time, and the UTC instant beside it.

The seed sent naive local time (`datetime.now().isoformat()`), and the Flutter app
reads it with Dart's `DateTime.parse`, which turns a string *without* offset into a local
DateTime but one *with* an offset into a UTC DateTime. An app that formats `dt.hour` without
`.toLocal()` would then show UTC hours, so `timestamp` stays exactly as the seed sent it: local
wall time of the configured zone, no offset. It is ambiguous only in the hour a DST change
repeats; `timestamp_utc` (ISO 8601 with `Z`) is the unambiguous instant for new clients.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import WithJsonSchema

__all__ = ["LocalDateTime", "local_time", "utc_time"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def utc_time(timestamp_ms: int) -> dt.datetime:
    """An epoch-milliseconds instant as an aware UTC datetime (exact, no float rounding)."""
    return _EPOCH + dt.timedelta(milliseconds=timestamp_ms)


def local_time(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The seed's timestamp: wall time in `zone`, without offset."""
    return moment.astimezone(zone).replace(tzinfo=None)


# The seed's wall-clock timestamp has no offset, so it is not an RFC 3339 `date-time`: declare
# the string it is, or clients that validate responses (and generated clients) reject it.
LocalDateTime = Annotated[
    dt.datetime,
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$"}
    ),
]
