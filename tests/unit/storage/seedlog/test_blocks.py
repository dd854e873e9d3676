"""The block parser and the reading stream agree with reading a log whole (parse_csv)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from energymon.domain.model import Reading
from energymon.storage.seedlog import instants_ms, parse_csv, readings_from_csv_rows
from energymon.storage.seedlog.blocks import BlockParser, line_blocks
from energymon.storage.seedlog.stream import ReadingStream

BERLIN = ZoneInfo("Europe/Berlin")

# Every kind of line the old parser knows, and the two clock changes of Berlin in 2024.
TRICKY = [
    "timestamp,watts,appliance_id",
    "2024-12-04 10:00:00,125.5,1",
    "",
    "2024-12-04 10:01:00,abc,1",
    "2024-13-04 10:02:00,1.0,1",
    "2024-12-04 10:03:00,1.0",
    "2024-12-04 10:04:00,1.0,0",
    "2024-12-04 10:05:00,nan,2",
    "2024-12-04 10:05:00,inf,2",
    "2024-12-04 10:06:00,130.2, 2 \r",
    " 2024-12-04 10:07:00 , 7 ,2",
    "2024-12-04T10:08:00,8,2",
    "2024-12-04 10:09:00+01:00,9,2",
    "2024-12-04 10:10:60,9,2",
    "2024-12-04 10:1:00,9,2",
    "2024-12-04 10:11:00,1_0,2",
    "2024-12-04 10:12:00,-0.0,2",
    "timestamp, watts, appliance_id",
    "2024-03-31 01:59:59,1,1",
    "2024-03-31 02:30:00,2,1",  # does not exist: clocks jump from 02:00 to 03:00
    "2024-03-31 03:00:00,3,1",
    "2024-10-27 02:30:00,4,1",  # happens twice: read so that time advances
    "2024-10-27 02:30:00,5,2",
    "2024-10-27 02:15:00,6,1",
    "2024-10-27 02:45:00,7,1",
    "2024-10-27 03:00:00,8,1",
]


def _old(lines: list[str]) -> tuple[list[tuple[int, int, int, float]], list[tuple[int, str]]]:
    rows, errors = parse_csv(lines)
    instants = instants_ms(rows, BERLIN)
    return (
        [
            (r.line_number, r.appliance_id, ts, r.watts)
            for r, ts in zip(rows, instants, strict=True)
        ],
        [(e.line, e.message) for e in errors],
    )


@pytest.mark.parametrize("block_bytes", [16, 100, 1 << 20])
def test_blocks_give_the_rows_instants_and_messages_of_parse_csv(block_bytes: int) -> None:
    """Same rows, same UTC instants (clock changes included), same messages, by line."""
    data = (
        "\n".join(TRICKY) + "\n"
    ).encode() + b"2024-12-04 10:13:00,\xff,1\n2024-12-04 11:00:00,3,1"
    parser = BlockParser(BERLIN)
    rows: list[tuple[int, int, int, float]] = []
    errors: list[tuple[int, str]] = []
    for block in line_blocks(io.BytesIO(data), block_bytes):
        parsed = parser.parse(block.lines, block.first_line)
        skipped = set(parsed.skipped)
        numbers = [block.first_line + i for i in range(len(block.lines)) if i not in skipped]
        rows += zip(numbers, parsed.appliance_ids, parsed.instants_ms, parsed.watts, strict=True)
        errors += [(e.line, e.message) for e in parsed.errors]
    old_rows, old_errors = _old(data.decode(errors="replace").splitlines())
    assert rows == old_rows
    assert [line for line, _ in errors] == [line for line, _ in old_errors]
    assert errors[:-1] == old_errors[:-1]
    assert errors[-1] == (len(TRICKY) + 1, "not UTF-8 text")


def _log(start: dt.datetime, seconds: int, step: int, appliances: int) -> list[str]:
    lines = []
    for offset in range(0, seconds, step):
        stamp = (start + dt.timedelta(seconds=offset)).strftime("%Y-%m-%d %H:%M:%S")
        lines += [f"{stamp},{(offset * 7 + a * 13) % 50}.5,{a}" for a in range(1, appliances + 1)]
    return lines


@pytest.mark.parametrize("block_bytes", [200, 5_000, 1 << 20])
def test_a_log_in_time_order_gives_the_readings_and_gaps_of_reading_it_whole(
    block_bytes: int,
) -> None:
    """Blocks cut anywhere give the old readings (trapezoid energy) and gaps exactly."""
    start = dt.datetime(2024, 10, 26, 22, 0)  # noqa: DTZ001 - the log's naive local time
    lines = _log(start, 4 * 3600, 10, 2)
    lines[300:330] = []  # a silence: a gap per appliance
    readings, gaps = readings_from_csv_rows(parse_csv(lines).rows, BERLIN)
    data = ("\n".join(lines) + "\n").encode()
    blocks = list(line_blocks(io.BytesIO(data), block_bytes))
    parser, stream = BlockParser(BERLIN), ReadingStream()
    got, got_gaps = [], []
    for index, block in enumerate(blocks):
        parsed = parser.parse(block.lines, block.first_line)
        columns = stream.add(
            parsed.appliance_ids, parsed.instants_ms, parsed.watts, last=index == len(blocks) - 1
        )
        got += columns.readings()
        got_gaps += columns.gaps
    assert sorted(got, key=lambda r: (r.appliance_id, r.timestamp_ms)) == readings
    assert sorted(got_gaps, key=lambda g: (g.appliance_id, g.start_ms)) == gaps


def _stream_whole_file(data: bytes, block_bytes: int) -> list[Reading]:
    blocks = list(line_blocks(io.BytesIO(data), block_bytes))
    parser, stream = BlockParser(BERLIN), ReadingStream()
    got = []
    for index, block in enumerate(blocks):
        parsed = parser.parse(block.lines, block.first_line)
        columns = stream.add(
            parsed.appliance_ids, parsed.instants_ms, parsed.watts, last=index == len(blocks) - 1
        )
        got += columns.readings()
    return sorted(got, key=lambda r: (r.appliance_id, r.timestamp_ms))


def test_an_appliance_that_stops_logging_keeps_its_own_rows() -> None:
    """Rows held for an appliance absent from later blocks come out as its own, at the end."""
    start = dt.datetime(2024, 12, 4, 9, 30)  # noqa: DTZ001
    lines = _log(start, 3600, 60, 2) + _log(start + dt.timedelta(hours=1), 3 * 3600, 60, 1)
    readings, _ = readings_from_csv_rows(parse_csv(lines).rows, BERLIN)
    assert _stream_whole_file(("\n".join(lines) + "\n").encode(), 300) == readings


def test_one_block_in_any_order_gives_the_old_readings() -> None:
    """Within a block, order and repeats are handled as reading whole does (first row wins)."""
    lines = _log(dt.datetime(2024, 12, 4, 10, 0), 600, 60, 3)  # noqa: DTZ001
    shuffled = lines[::-1] + lines[:4]
    readings, gaps = readings_from_csv_rows(parse_csv(shuffled).rows, BERLIN)
    parsed = BlockParser(BERLIN).parse([line.encode() for line in shuffled], 1)
    columns = ReadingStream().add(parsed.appliance_ids, parsed.instants_ms, parsed.watts, last=True)
    assert sorted(columns.readings(), key=lambda r: (r.appliance_id, r.timestamp_ms)) == sorted(
        readings, key=lambda r: (r.appliance_id, r.timestamp_ms)
    )
    assert columns.gaps == gaps


def test_a_log_stepping_back_in_time_stores_each_row_once_without_false_gaps() -> None:
    """Parts of a day concatenated out of order: every row once, no gap over rows read before,
    the energy of reading it whole but for a row at the seam."""
    day = _log(dt.datetime(2024, 12, 4, 0, 0), 6 * 3600, 60, 1)  # noqa: DTZ001
    later = _log(dt.datetime(2024, 12, 4, 12, 0), 3 * 3600, 60, 1)  # noqa: DTZ001
    data = ("\n".join(later + day) + "\n").encode()
    blocks = list(line_blocks(io.BytesIO(data), 1_000))
    parser, stream = BlockParser(BERLIN), ReadingStream()
    got, gaps = [], []
    for index, block in enumerate(blocks):
        parsed = parser.parse(block.lines, block.first_line)
        columns = stream.add(
            parsed.appliance_ids, parsed.instants_ms, parsed.watts, last=index == len(blocks) - 1
        )
        got += columns.readings()
        gaps += columns.gaps
    assert sorted(r.timestamp_ms for r in got) == sorted({r.timestamp_ms for r in got})
    assert len(got) == len(day) + len(later)
    assert gaps == []  # none over rows read before (where the parts meet: not recorded)
    assert all(r.covered_seconds == 60.0 for r in got)
    whole = readings_from_csv_rows(parse_csv(later + day).rows, BERLIN)[0]
    seam_wh = 50 * 60 / 3600  # one row at most at the seam: watts × cadence, not the trapezoid
    assert sum(r.energy_wh for r in got) == pytest.approx(
        sum(r.energy_wh for r in whole), abs=seam_wh
    )
