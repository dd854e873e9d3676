"""Reading the seed's CSV log back (`energymon import`): rows with line numbers, then readings."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple
from zoneinfo import ZoneInfo

from energymon.domain.buckets import to_epoch_ms
from energymon.domain.model import Gap, Reading

__all__ = [
    "CsvProblem",
    "CsvRow",
    "ParsedCsv",
    "instant_ms",
    "instants_ms",
    "parse_csv",
    "parse_line",
    "readings_from_csv_rows",
]

_HEADER = "timestamp,watts,appliance_id"
_MS_PER_HOUR = 3_600_000


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One good row. `local_time` is naive local time in the zone, as the seed writes it."""

    line_number: int
    local_time: dt.datetime
    watts: float
    appliance_id: int


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """A line that could not be read (1-based `line`), and why."""

    line: int
    message: str


class ParsedCsv(NamedTuple):
    """The good rows, and the bad lines: `rows, errors = parse_csv(lines)`."""

    rows: list[CsvRow]
    errors: list[CsvProblem]


def _parse_row(text: str, line_number: int) -> CsvRow:
    fields = [field.strip() for field in text.split(",")]
    if len(fields) != 3:
        raise ValueError(f"expected 3 fields (timestamp,watts,appliance_id), got {len(fields)}")
    try:
        local_time = dt.datetime.fromisoformat(fields[0])
    except ValueError:
        raise ValueError(f"timestamp {fields[0]!r} is not like 2024-12-04 10:00:00") from None
    try:
        watts = float(fields[1])
    except ValueError:
        raise ValueError(f"watts {fields[1]!r} is not a number") from None
    if not math.isfinite(watts):
        raise ValueError(f"watts {fields[1]!r} is not a finite number")
    if not fields[2].isdigit() or int(fields[2]) < 1:
        raise ValueError(f"appliance_id {fields[2]!r} is not a positive whole number")
    return CsvRow(line_number, local_time, watts, int(fields[2]))


def parse_csv(lines: Iterable[str | bytes]) -> ParsedCsv:
    """Parse the log's lines; bad rows are reported by line number and the good ones kept.

    Blank lines and header lines (wherever they are: logs get concatenated) are skipped.
    """
    rows: list[CsvRow] = []
    errors: list[CsvProblem] = []
    for line_number, line in enumerate(lines, start=1):
        parsed = parse_line(line, line_number)
        if isinstance(parsed, CsvRow):
            rows.append(parsed)
        elif parsed is not None:
            errors.append(parsed)
    return ParsedCsv(rows, errors)


def parse_line(line: str | bytes, line_number: int) -> CsvRow | CsvProblem | None:
    """One line of the log: a row, the problem with it, or None (blank or a header)."""
    try:
        text = line.decode() if isinstance(line, bytes) else line
    except UnicodeDecodeError:
        return CsvProblem(line_number, "not UTF-8 text")
    text = text.strip()
    if not text or text.replace(" ", "") == _HEADER:
        return None
    try:
        return _parse_row(text, line_number)
    except ValueError as exc:
        return CsvProblem(line_number, str(exc))


def instant_ms(local_time: dt.datetime, zone: ZoneInfo, after_ms: int | None) -> int:
    """UTC ms of a local time; a time the clock shows twice (or never) is read so time advances."""
    if local_time.tzinfo is not None:
        return to_epoch_ms(local_time)
    first, second = sorted(
        to_epoch_ms(local_time.replace(tzinfo=zone, fold=fold)) for fold in (0, 1)
    )
    if after_ms is not None and first <= after_ms < second:
        return second
    return first


def instants_ms(rows: Iterable[CsvRow], zone: ZoneInfo) -> list[int]:
    """The UTC instant of each row, in order; each appliance's repeated local hour (the night
    clocks fall back) is read so its time advances."""
    previous_ms: dict[int, int] = {}
    instants: list[int] = []
    for row in rows:
        ts_ms = instant_ms(row.local_time, zone, previous_ms.get(row.appliance_id))
        previous_ms[row.appliance_id] = ts_ms
        instants.append(ts_ms)
    return instants


def readings_from_csv_rows(
    rows: Iterable[CsvRow],
    zone: ZoneInfo,
    *,
    default_cadence_seconds: float = 60.0,
    max_gap_factor: float = 5.0,
) -> tuple[list[Reading], list[Gap]]:
    """Readings and gaps from CSV rows, per appliance.

    The cadence is the median spacing of an appliance's rows (`default_cadence_seconds` for a
    single row). A row's energy is the trapezoid up to the next row; spacings longer than
    `max_gap_factor` × cadence are gaps that book no energy, and the row before one (like the
    last row) books watts × cadence. The CSV has no volts or amps: they are None.
    """
    rows = list(rows)
    by_appliance: dict[int, dict[int, float]] = {}
    for row, ts_ms in zip(rows, instants_ms(rows, zone), strict=True):
        by_appliance.setdefault(row.appliance_id, {}).setdefault(ts_ms, row.watts)
    readings: list[Reading] = []
    gaps: list[Gap] = []
    for appliance_id, points in by_appliance.items():
        times = sorted(points)
        spacings = [later - earlier for earlier, later in pairwise(times)]
        cadence_ms = statistics.median(spacings) if spacings else default_cadence_seconds * 1000
        for index, ts_ms in enumerate(times):
            watts = points[ts_ms]
            next_ms = times[index + 1] if index + 1 < len(times) else None
            if next_ms is not None and next_ms - ts_ms <= max_gap_factor * cadence_ms:
                span_ms: float = next_ms - ts_ms
                energy_wh = (watts + points[next_ms]) / 2 * span_ms / _MS_PER_HOUR
            else:
                span_ms = cadence_ms
                energy_wh = watts * span_ms / _MS_PER_HOUR
                if next_ms is not None:
                    gaps.append(Gap(appliance_id, ts_ms + round(cadence_ms), next_ms))
            readings.append(
                Reading(appliance_id, ts_ms, watts, None, None, energy_wh, span_ms / 1000)
            )
    return readings, gaps
