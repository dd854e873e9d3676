"""Days that are hard to bucket, an oracle for local dates, and readings around those days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from energymon.domain.buckets import HOUR_MS, local_day_bounds
from energymon.domain.model import Reading

__all__ = ["BERLIN", "HARD_DAYS", "KOLKATA", "UTC", "oracle_date", "readings_around"]

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
UTC = dt.UTC

# The days the properties are checked around: spring forward and fall back in Berlin, and a day
# whose midnight is at 18:30 UTC in Kolkata.
HARD_DAYS = [
    (BERLIN, dt.date(2024, 3, 31)),
    (BERLIN, dt.date(2024, 10, 27)),
    (KOLKATA, dt.date(2024, 6, 15)),
]


def oracle_date(ts_ms: int, zone: ZoneInfo) -> dt.date:
    """The local date of an instant, by another road than the code under test takes."""
    return (
        (dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=ts_ms))
        .astimezone(zone)
        .date()
    )


@st.composite
def readings_around(draw: st.DrawFn) -> tuple[ZoneInfo, dt.date, list[Reading]]:
    """Readings of up to three appliances from six hours before a hard day to six after."""
    zone, day = draw(st.sampled_from(HARD_DAYS))
    start_ms, end_ms = local_day_bounds(day, zone)
    keys = draw(
        st.sets(
            st.tuples(
                st.integers(1, 3),
                st.integers(start_ms - 6 * HOUR_MS, end_ms + 6 * HOUR_MS - 1),
            ),
            max_size=60,
        )
    )
    readings = [
        Reading(
            appliance_id=appliance_id,
            timestamp_ms=ts_ms,
            watts=draw(st.floats(-20, 3000)),
            # Imported history has no volts or amps: None, never 0.
            volts=None if (imported := draw(st.booleans())) else draw(st.floats(0, 250)),
            amps=None if imported else draw(st.floats(-1, 15)),
            energy_wh=draw(st.floats(-0.01, 1.0)),
            covered_seconds=draw(st.floats(0, 1)),
        )
        for appliance_id, ts_ms in sorted(keys)
    ]
    return zone, day, readings
