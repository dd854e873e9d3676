"""The CSV log parsed for `energymon import`: bad rows named by line, rows made readings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from energymon.domain.buckets import to_epoch_ms
from energymon.domain.model import Gap
from energymon.storage.seedlog import parse_csv, readings_from_csv_rows

BERLIN = ZoneInfo("Europe/Berlin")


def test_parse_reports_bad_rows_by_line_and_keeps_good_ones() -> None:
    """Each bad row is named by its line number and reason; the rest are parsed."""
    rows, errors = parse_csv(
        [
            "timestamp,watts,appliance_id\n",
            "2024-12-04 10:00:00,125.5,1\n",
            "\n",
            "2024-12-04 10:01:00,abc,1\n",
            "2024-13-04 10:02:00,1.0,1\n",
            "2024-12-04 10:03:00,1.0\n",
            "2024-12-04 10:04:00,1.0,0\n",
            b"2024-12-04 10:05:00,nan,2\n",
            b"2024-12-04 10:06:00,130.2,2",
        ]
    )
    assert [(r.line_number, r.local_time, r.watts, r.appliance_id) for r in rows] == [
        (2, dt.datetime(2024, 12, 4, 10, 0), 125.5, 1),  # noqa: DTZ001 - naive local time
        (9, dt.datetime(2024, 12, 4, 10, 6), 130.2, 2),  # noqa: DTZ001
    ]
    assert [(e.line, e.message.split()[0]) for e in errors] == [
        (4, "watts"),
        (5, "timestamp"),
        (6, "expected"),
        (7, "appliance_id"),
        (8, "watts"),
    ]


def test_rows_become_readings_with_trapezoid_energy_and_gaps() -> None:
    """Cadence is the median spacing; energy is the trapezoid; a long silence is a gap."""
    rows, _ = parse_csv(
        [
            "2024-12-04 10:00:00,100,1",
            "2024-12-04 10:01:00,200,1",
            "2024-12-04 10:02:00,100,1",
            "2024-12-04 10:20:00,60,1",  # 18 minutes later: more than 5 × the cadence
        ]
    )
    readings, gaps = readings_from_csv_rows(rows, BERLIN)
    start_ms = to_epoch_ms(dt.datetime(2024, 12, 4, 10, 0, tzinfo=BERLIN))
    assert [r.timestamp_ms - start_ms for r in readings] == [0, 60_000, 120_000, 1_200_000]
    assert [r.energy_wh for r in readings] == pytest.approx([2.5, 2.5, 100 / 60, 1.0])
    assert [r.covered_seconds for r in readings] == [60.0, 60.0, 60.0, 60.0]
    assert gaps == [Gap(1, start_ms + 180_000, start_ms + 1_200_000)]
