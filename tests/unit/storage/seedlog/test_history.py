"""Imported history into the CSV log's past days: order, no repeats, retention, the lock."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from energymon.domain.buckets import to_epoch_ms
from energymon.domain.model import Reading
from energymon.storage.columns import ImportedColumns
from energymon.storage.seedlog import (
    HEADER,
    LOG_FILENAME,
    CsvLog,
    HistoryMerge,
    history_lock,
    iter_log,
    merge_into_history,
)
from energymon.storage.seedlog.history import HistoryWriter

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = dt.date(2024, 12, 10)


def at(day: int, hour: int, minute: int, month: int = 12) -> int:
    """UTC ms of a local time in Berlin in 2024."""
    return to_epoch_ms(dt.datetime(2024, month, day, hour, minute, tzinfo=BERLIN))


def imported(appliance_id: int, ts_ms: int, watts: float) -> Reading:
    """A reading as `energymon import` makes it from a CSV row."""
    return Reading(appliance_id, ts_ms, watts, None, None, watts / 60, 60.0)


def merge(directory: Path, readings: list[Reading]) -> HistoryMerge:
    """merge_into_history with Berlin, TODAY and seven days of retention."""
    return merge_into_history(directory, readings, BERLIN, today=TODAY, retention_days=7)


def rotated(directory: Path, day: str) -> list[str]:
    """The lines of a rotated file."""
    return (directory / f"{LOG_FILENAME}.{day}").read_text(encoding="utf-8").splitlines()


def test_imported_rows_join_a_past_days_file_in_time_order_once(tmp_path: Path) -> None:
    """Rows slot in between the recorded ones; a row recorded already is not written again."""
    (tmp_path / f"{LOG_FILENAME}.2024-12-08").write_bytes(
        HEADER + b"2024-12-08 10:01:00,5.0,1\n2024-12-08 10:03:00,7.0,1\n"
    )
    history = [imported(1, at(8, 10, minute), float(minute)) for minute in range(5)]
    result = merge(tmp_path, [*history, imported(2, at(8, 10, 2), 9.25)])
    assert rotated(tmp_path, "2024-12-08") == [
        "timestamp,watts,appliance_id",
        "2024-12-08 10:00:00,0.0,1",
        "2024-12-08 10:01:00,5.0,1",  # recorded: kept as it was
        "2024-12-08 10:02:00,2.0,1",
        "2024-12-08 10:02:00,9.2,2",
        "2024-12-08 10:03:00,7.0,1",
        "2024-12-08 10:04:00,4.0,1",
    ]
    assert (result.written, result.present) == (4, 2)
    before = (tmp_path / f"{LOG_FILENAME}.2024-12-08").stat()
    again = merge(tmp_path, history)
    assert (again.written, again.present) == (0, 5)
    assert (tmp_path / f"{LOG_FILENAME}.2024-12-08").stat().st_ino == before.st_ino


def test_today_and_days_past_retention_are_left_out_and_counted(tmp_path: Path) -> None:
    """The running day's file is the service's; an expired day would be deleted at rotation."""
    (tmp_path / LOG_FILENAME).write_bytes(HEADER + b"2024-12-10 08:00:00,1.0,1\n")
    readings = [
        imported(1, at(2, 12, 0), 1.0),  # 8 days before TODAY: past a 7-day retention
        imported(1, at(3, 12, 0), 2.0),  # the oldest day kept
        imported(1, at(9, 23, 59), 3.0),
        imported(1, at(10, 0, 0), 4.0),
        imported(1, at(11, 0, 0), 5.0),
    ]
    result = merge(tmp_path, readings)
    assert (result.written, result.running_day) == (2, 2)
    assert result.expired == 1
    assert result.days == [dt.date(2024, 12, 3), dt.date(2024, 12, 9)]
    assert rotated(tmp_path, "2024-12-03")[1:] == ["2024-12-03 12:00:00,2.0,1"]
    assert not (tmp_path / f"{LOG_FILENAME}.2024-12-02").exists()
    assert (tmp_path / LOG_FILENAME).read_bytes() == HEADER + b"2024-12-10 08:00:00,1.0,1\n"
    assert b"".join(iter_log(tmp_path)).splitlines()[1:] == [
        b"2024-12-03 12:00:00,2.0,1",
        b"2024-12-09 23:59:00,3.0,1",
        b"2024-12-10 08:00:00,1.0,1",
    ]


def test_a_past_day_still_in_the_running_file_is_not_written_twice(tmp_path: Path) -> None:
    """Rows of the day the stopped service has not rotated yet are known by their instant."""
    (tmp_path / LOG_FILENAME).write_bytes(HEADER + b"2024-12-09 22:00:00,1.0,1\n")
    result = merge(tmp_path, [imported(1, at(9, 22, 0), 1.0), imported(1, at(9, 21, 0), 2.0)])
    assert (result.written, result.present) == (1, 1)
    log = CsvLog(tmp_path, BERLIN)  # the service starts, and rotates the day away
    log.tick(at(10, 8, 0))
    log.close()
    assert rotated(tmp_path, "2024-12-09")[1:] == [
        "2024-12-09 21:00:00,2.0,1",
        "2024-12-09 22:00:00,1.0,1",
    ]


def test_the_repeated_hour_of_the_fall_back_night_keeps_its_order(tmp_path: Path) -> None:
    """02:30 comes twice on 27 October in Berlin: each imported row goes after its own."""
    first = to_epoch_ms(dt.datetime(2024, 10, 27, 2, 30, tzinfo=BERLIN))
    second = first + 3_600_000
    (tmp_path / f"{LOG_FILENAME}.2024-10-27").write_bytes(
        HEADER + b"2024-10-27 02:30:00,1.0,1\n2024-10-27 02:30:00,3.0,1\n"
    )
    merge_into_history(
        tmp_path,
        [imported(1, first + 60_000, 2.0), imported(1, second + 60_000, 4.0)],
        BERLIN,
        today=dt.date(2024, 10, 28),
        retention_days=7,
    )
    assert rotated(tmp_path, "2024-10-27")[1:] == [
        "2024-10-27 02:30:00,1.0,1",
        "2024-10-27 02:31:00,2.0,1",
        "2024-10-27 02:30:00,3.0,1",
        "2024-10-27 02:31:00,4.0,1",
    ]


def test_a_rotation_waits_while_an_import_holds_the_lock(tmp_path: Path) -> None:
    """CsvLog rotates only once the merge beside it has let go of the logs' lock."""
    log = CsvLog(tmp_path, BERLIN)
    log.add(Reading(1, at(9, 23, 0), 1.0, 12.0, 0.1, 0.0, 1.0))
    rotating = threading.Thread(target=log.tick, args=(at(10, 0, 5),))
    with history_lock(tmp_path):
        rotating.start()
        rotating.join(timeout=0.3)  # would have rotated long since without the lock
        assert rotating.is_alive()
        assert not (tmp_path / f"{LOG_FILENAME}.2024-12-09").exists()
    rotating.join(timeout=10)
    assert not rotating.is_alive()
    assert rotated(tmp_path, "2024-12-09")[1:] == ["2024-12-09 23:00:00,1.0,1"]
    log.close()


def test_rows_merged_a_few_at_a_time_give_the_files_of_one_merge(tmp_path: Path) -> None:
    """A writer holding at most 7 rows writes the same days, rows and counts as one merge."""
    readings = [
        imported(appliance_id, at(day, 10, minute), float(minute))
        for day in (5, 6, 7)
        for minute in range(10)
        for appliance_id in (2, 1)
    ]
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    whole.mkdir()
    parts.mkdir()
    expected = merge(whole, readings)
    writer = HistoryWriter(parts, BERLIN, today=TODAY, retention_days=7, max_pending_rows=7)
    for reading in readings:  # one row per block: the merges run every few rows
        columns = ImportedColumns([reading.timestamp_ms], [reading.watts], [0.0], [60.0])
        columns.runs.append((reading.appliance_id, 0, 1))
        writer.add(columns)
    assert writer.finish() == expected
    for day in ("2024-12-05", "2024-12-06", "2024-12-07"):
        assert rotated(parts, day) == rotated(whole, day)
