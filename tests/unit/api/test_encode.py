"""The directly written JSON items are the bytes pydantic writes for the same answer."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from energymon.api.encode import day_items, reading_items
from energymon.api.schemas import HistoricalResponse, HistoryResponse
from energymon.domain.model import DailyStats, Reading
from energymon.domain.tariff import PricedDay
from energymon.service.views import Historical

ZONE = ZoneInfo("Europe/Berlin")
_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-5, 2.5e-5, 1e-7, 0.00012, 1e16, 123456.5]),
)
_readings = st.builds(
    Reading,
    appliance_id=st.integers(1, 16),
    timestamp_ms=st.integers(0, 4_102_444_800_000),  # 1970 to 2100, DST changes included
    watts=_values,
    volts=st.none() | _values,
    amps=st.none() | _values,
    energy_wh=st.just(0.0),
    covered_seconds=st.just(1.0),
)
_days = st.builds(
    PricedDay,
    st.builds(
        DailyStats,
        date=st.dates(dt.date(1970, 1, 1), dt.date(2100, 1, 1)),
        avg_watts=_values,
        max_watts=_values,
        min_watts=_values,
        total_readings=st.integers(0, 10**9),
        energy_wh=_values,
        covered_seconds=_values,
    ),
    cost=_values,
)


@settings(max_examples=200)
@given(readings=st.lists(_readings, max_size=5), days=st.lists(_days, max_size=3))
def test_items_are_pydantic_s_bytes(readings: list[Reading], days: list[PricedDay]) -> None:
    """Items joined as the routes join them are HistoricalResponse's and HistoryResponse's JSON."""
    expected = HistoricalResponse.of(Historical(readings, days), ZONE).model_dump_json(
        by_alias=True
    )
    written = (
        '{"data":['
        + ",".join(reading_items(readings, ZONE))
        + '],"daily_stats":['
        + ",".join(day_items(days))
        + "]}"
    )
    assert written == expected
    history = HistoryResponse.of(readings, ZONE).model_dump_json(by_alias=True)
    assert '{"data":[' + ",".join(reading_items(readings, ZONE)) + "]}" == history
