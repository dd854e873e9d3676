"""Imported history into the CSV log: rows merged into the rotated files of past days.

`energymon import` may run beside the service. The service appends to `energy_monitor.log`
(the running day) through a descriptor it keeps open, so that file is never rewritten here:
rows of the running day (and later) are left out. Rows of days past the CSV retention are
left out too, as the next rotation would delete them. A past day's file is rewritten whole
(temporary file, fsync, `os.replace`), so a reader or a crash sees the old file or the new,
never half of one; `history_lock` keeps a rotation from moving or appending to a file while
it is being rewritten.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from energymon.domain.model import Reading
from energymon.storage.seedlog.files import HEADER, LOG_FILENAME, format_row, history_lock
from energymon.storage.seedlog.reader import instants_ms, parse_csv

__all__ = ["HistoryMerge", "merge_into_history"]

_Key = tuple[int, int]  # (timestamp_ms, appliance_id): a row's instant and appliance


@dataclass
class HistoryMerge:
    """What an import wrote into the CSV log, and what it left out (counts of rows)."""

    written: int = 0
    days: list[dt.date] = field(default_factory=list)
    present: int = 0  # there already (same instant and appliance)
    running_day: int = 0  # of the running day or later: the service is writing that file
    expired: int = 0  # of days past the CSV retention


def _keyed_lines(data: bytes, zone: ZoneInfo) -> list[tuple[_Key | None, bytes]]:
    """The file's whole lines without its header, each with its row's key (None: not a row)."""
    lines = data.splitlines(keepends=True)
    if lines and not lines[-1].endswith(b"\n"):
        lines.pop()  # a torn last line: readers skip it too
    rows, _ = parse_csv(lines)
    keys = {
        row.line_number: (ts_ms, row.appliance_id)
        for row, ts_ms in zip(rows, instants_ms(rows, zone), strict=True)
    }
    return [
        (keys.get(number), line)
        for number, line in enumerate(lines, start=1)
        if line != HEADER or number > 1
    ]


def _merged(
    existing: list[tuple[_Key | None, bytes]], new: list[tuple[_Key, bytes]]
) -> Iterator[bytes]:
    """The existing lines in their order, each new line before the first later row."""
    pending = iter(sorted(new))
    upcoming = next(pending, None)
    for key, line in existing:
        while upcoming is not None and key is not None and upcoming[0] < key:
            yield upcoming[1]
            upcoming = next(pending, None)
        yield line
    while upcoming is not None:
        yield upcoming[1]
        upcoming = next(pending, None)


def _replace(path: Path, lines: Iterable[bytes]) -> None:
    """Write `path` anew: a temporary file beside it, fsynced, then renamed over it."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(HEADER)
            file.writelines(lines)
            file.flush()
            os.fchmod(file.fileno(), 0o644)  # as the service creates its logs
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def merge_into_history(
    directory: Path,
    readings: Iterable[Reading],
    zone: ZoneInfo,
    *,
    today: dt.date,
    retention_days: int,
) -> HistoryMerge:
    """Merge readings into the rotated CSV files of the retained days before `today`.

    Rows keep the log's format (local time, watts to one decimal, appliance id) and time
    order; a row whose instant and appliance a file holds already (or the running file, not
    rotated yet) is not written again, so importing twice changes nothing.
    """
    merge = HistoryMerge()
    by_day: dict[dt.date, dict[_Key, bytes]] = {}
    oldest = today - dt.timedelta(days=retention_days)
    for reading in readings:
        moment = dt.datetime.fromtimestamp(reading.timestamp_ms / 1000, tz=zone)
        day = moment.date()
        if day >= today:
            merge.running_day += 1
        elif day < oldest:
            merge.expired += 1
        else:
            key = (reading.timestamp_ms, reading.appliance_id)
            by_day.setdefault(day, {})[key] = format_row(moment, reading.watts, key[1])
    if not by_day:
        return merge
    with history_lock(directory):
        # Rows of a past day still in the running file join the rotated one at the rotation.
        running = {key for key, _ in _keyed_lines(_read(directory / LOG_FILENAME), zone) if key}
        for day, imported in sorted(by_day.items()):
            path = directory / f"{LOG_FILENAME}.{day.isoformat()}"
            existing = _keyed_lines(_read(path), zone)
            known = running | {key for key, _ in existing if key}
            new = [(key, row) for key, row in imported.items() if key not in known]
            merge.present += len(imported) - len(new)
            if new:
                _replace(path, _merged(existing, new))
                merge.written += len(new)
                merge.days.append(day)
    return merge
