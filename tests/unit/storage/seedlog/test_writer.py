"""The seed's CSV log as CsvLog writes it: format, intervals, daily rotation, retention."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from energymon.domain.buckets import to_epoch_ms
from energymon.domain.model import Reading
from energymon.storage.seedlog import (
    HEADER,
    LOG_FILENAME,
    CsvLog,
    iter_log,
    parse_csv,
    readings_from_csv_rows,
)

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")


def at(zone: ZoneInfo, *fields: int) -> int:
    """UTC ms of a local wall-clock time given as year, month, day, hour, minute, second."""
    year, month, day, hour, minute, second = fields
    return to_epoch_ms(dt.datetime(year, month, day, hour, minute, second, tzinfo=zone))


def reading(appliance_id: int, ts_ms: int, watts: float) -> Reading:
    """A reading with only what the CSV log uses filled in meaningfully."""
    return Reading(appliance_id, ts_ms, watts, 230.0, watts / 230.0, 0.0, 1.0)


def lines(path: Path) -> list[str]:
    """The file's lines."""
    return path.read_text(encoding="utf-8").splitlines()


def test_rows_hold_interval_means_in_the_seeds_format(tmp_path: Path) -> None:
    """One row per appliance per minute: local start time, mean watts to 1 decimal, id."""
    log = CsvLog(tmp_path, BERLIN)
    start_ms = at(BERLIN, 2024, 12, 4, 10, 0, 0)
    for second in range(120):
        log.add(reading(1, start_ms + second * 1000, 125.0 + (second % 2)))  # mean 125.5
        log.add(reading(2, start_ms + second * 1000, 10.04))
    log.add(reading(1, start_ms + 120_000, 0.0))
    assert lines(tmp_path / LOG_FILENAME) == [
        "timestamp,watts,appliance_id",
        "2024-12-04 10:00:00,125.5,1",
        "2024-12-04 10:00:00,10.0,2",
        "2024-12-04 10:01:00,125.5,1",
    ]
    log.close()
    assert lines(tmp_path / LOG_FILENAME)[-2:] == [
        "2024-12-04 10:01:00,10.0,2",
        "2024-12-04 10:02:00,0.0,1",
    ]


def test_a_small_negative_mean_is_written_as_zero(tmp_path: Path) -> None:
    """-0.04 W rounds to "0.0", not "-0.0"."""
    log = CsvLog(tmp_path, BERLIN)
    log.add(reading(1, at(BERLIN, 2024, 12, 4, 10, 0, 0), -0.04))
    log.close()
    assert lines(tmp_path / LOG_FILENAME)[-1] == "2024-12-04 10:00:00,0.0,1"


def test_intervals_start_at_local_midnight_in_a_half_hour_zone(tmp_path: Path) -> None:
    """Hourly rows in Asia/Kolkata are stamped on the local hour, not on the UTC hour."""
    log = CsvLog(tmp_path, KOLKATA, interval_seconds=3600)
    start_ms = at(KOLKATA, 2024, 6, 15, 9, 10, 0)
    for minute in range(0, 120, 10):
        log.add(reading(1, start_ms + minute * 60_000, 100.0))
    log.close()
    stamps = [line.split(",")[0] for line in lines(tmp_path / LOG_FILENAME)[1:]]
    assert stamps == ["2024-06-15 09:00:00", "2024-06-15 10:00:00", "2024-06-15 11:00:00"]


def test_the_log_rotates_at_local_midnight(tmp_path: Path) -> None:
    """Rows of a new local day start a new file; the old one is kept under its date."""
    log = CsvLog(tmp_path, BERLIN)
    for minute in range(-2, 2):
        log.add(reading(1, at(BERLIN, 2024, 12, 5, 0, 0, 0) + minute * 60_000, 50.0))
    log.close()
    assert lines(tmp_path / f"{LOG_FILENAME}.2024-12-04") == [
        "timestamp,watts,appliance_id",
        "2024-12-04 23:58:00,50.0,1",
        "2024-12-04 23:59:00,50.0,1",
    ]
    assert lines(tmp_path / LOG_FILENAME) == [
        "timestamp,watts,appliance_id",
        "2024-12-05 00:00:00,50.0,1",
        "2024-12-05 00:01:00,50.0,1",
    ]


def test_tick_writes_a_quiet_appliances_row_and_rotates(tmp_path: Path) -> None:
    """An appliance gone quiet still gets its row, and the file turns over at midnight."""
    log = CsvLog(tmp_path, BERLIN)
    log.add(reading(3, at(BERLIN, 2024, 12, 4, 23, 59, 30), 7.0))
    log.tick(at(BERLIN, 2024, 12, 5, 0, 0, 5))
    assert lines(tmp_path / f"{LOG_FILENAME}.2024-12-04")[-1] == "2024-12-04 23:59:00,7.0,3"
    assert lines(tmp_path / LOG_FILENAME) == ["timestamp,watts,appliance_id"]
    log.close()


def test_rotated_files_past_retention_are_deleted(tmp_path: Path) -> None:
    """At rotation, files older than retention_days go; newer ones stay."""
    for day in (1, 2, 3):
        (tmp_path / f"{LOG_FILENAME}.2024-12-0{day}").write_bytes(HEADER)
    log = CsvLog(tmp_path, BERLIN, retention_days=2)
    log.add(reading(1, at(BERLIN, 2024, 12, 4, 12, 0, 0), 1.0))
    log.add(reading(1, at(BERLIN, 2024, 12, 5, 12, 0, 0), 1.0))
    log.close()
    rotated = sorted(p.name for p in tmp_path.glob(f"{LOG_FILENAME}.*"))
    assert rotated == [f"{LOG_FILENAME}.2024-12-03", f"{LOG_FILENAME}.2024-12-04"]


def test_reopening_cuts_a_torn_last_line_and_keeps_one_header(tmp_path: Path) -> None:
    """After a power cut mid-write the torn line goes; rows continue below, header once."""
    (tmp_path / LOG_FILENAME).write_bytes(HEADER + b"2024-12-04 10:00:00,1.0,1\n2024-12-04 10:0")
    log = CsvLog(tmp_path, BERLIN)
    log.add(reading(1, at(BERLIN, 2024, 12, 4, 10, 5, 0), 2.0))
    log.close()
    assert lines(tmp_path / LOG_FILENAME) == [
        "timestamp,watts,appliance_id",
        "2024-12-04 10:00:00,1.0,1",
        "2024-12-04 10:05:00,2.0,1",
    ]


def test_a_log_written_across_the_fall_back_night_reads_back_in_order(tmp_path: Path) -> None:
    """The hour Berlin repeats on 2024-10-27 is read back as two hours, not one twice."""
    log = CsvLog(tmp_path, BERLIN, interval_seconds=600)
    start_ms = at(BERLIN, 2024, 10, 27, 1, 0, 0)
    written = [start_ms + i * 600_000 for i in range(24)]  # 01:00 to 04:50 local, 4 hours
    for ts_ms in written:
        log.add(reading(1, ts_ms, float(ts_ms % 7)))
    log.close()
    rows, errors = parse_csv(b"".join(iter_log(tmp_path)).decode().splitlines())
    readings, gaps = readings_from_csv_rows(rows, BERLIN)
    assert errors == []
    assert gaps == []
    assert [r.timestamp_ms for r in readings] == written
    assert [r.watts for r in readings] == [float(ts % 7) for ts in written]
