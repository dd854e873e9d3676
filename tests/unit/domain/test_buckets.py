"""Local days and time buckets: DST days of 23 and 25 hours, half-hour zones, missing midnights."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from energymon.domain.buckets import HOUR_MS, local_date, local_day_bounds, local_day_start
from tests.support.days import BERLIN, KOLKATA, UTC, oracle_date

SANTIAGO = ZoneInfo("America/Santiago")


def test_spring_forward_day_in_berlin_is_23_hours() -> None:
    """2024-03-31 in Berlin starts at 23:00 UTC the day before and lasts 23 hours."""
    start_ms, end_ms = local_day_bounds(dt.date(2024, 3, 31), BERLIN)
    assert start_ms == int(dt.datetime(2024, 3, 30, 23, tzinfo=UTC).timestamp() * 1000)
    assert end_ms - start_ms == 23 * HOUR_MS


def test_fall_back_day_in_berlin_is_25_hours() -> None:
    """2024-10-27 in Berlin lasts 25 hours."""
    start_ms, end_ms = local_day_bounds(dt.date(2024, 10, 27), BERLIN)
    assert end_ms - start_ms == 25 * HOUR_MS


def test_kolkata_day_starts_at_half_past_six_utc() -> None:
    """A day in Asia/Kolkata (+05:30) starts at 18:30 UTC the day before."""
    start_ms, end_ms = local_day_bounds(dt.date(2024, 6, 15), KOLKATA)
    assert start_ms == int(dt.datetime(2024, 6, 14, 18, 30, tzinfo=UTC).timestamp() * 1000)
    assert end_ms - start_ms == 24 * HOUR_MS


def test_day_without_midnight_starts_when_the_clocks_jump() -> None:
    """In Santiago clocks jump from 00:00 to 01:00 on 2024-09-08; the day starts at the jump."""
    start_ms, end_ms = local_day_bounds(dt.date(2024, 9, 8), SANTIAGO)
    assert start_ms == int(dt.datetime(2024, 9, 8, 4, tzinfo=UTC).timestamp() * 1000)
    assert end_ms - start_ms == 23 * HOUR_MS


@given(
    st.integers(946_684_800_000, 2_208_988_800_000),  # 2000..2040
    st.sampled_from([BERLIN, KOLKATA, SANTIAGO, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")]),
)
def test_local_day_start_holds_the_instant_and_its_date(ts_ms: int, zone: ZoneInfo) -> None:
    """The day bucket of an instant contains it and has the instant's local date."""
    start_ms = local_day_start(ts_ms, zone)
    bounds = local_day_bounds(local_date(ts_ms, zone), zone)
    assert bounds[0] == start_ms <= ts_ms < bounds[1]
    assert oracle_date(start_ms, zone) == oracle_date(ts_ms, zone)
