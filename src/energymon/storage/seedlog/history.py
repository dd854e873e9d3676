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
import functools
import os
import tempfile
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from zoneinfo import ZoneInfo

from energymon.domain.buckets import DAY_MS, local_date, local_day_bounds, local_midnight_ms
from energymon.domain.model import Reading
from energymon.storage.columns import ImportedColumns
from energymon.storage.seedlog.blocks import BlockParser
from energymon.storage.seedlog.files import HEADER, LOG_FILENAME, format_lines, history_lock
from energymon.storage.seedlog.instants import LocalClock

__all__ = ["MAX_PENDING_ROWS", "HistoryMerge", "HistoryWriter", "merge_into_history"]

MAX_PENDING_ROWS = 300_000  # rows held before merging into the files: about 60 MB

_Key = tuple[int, int]  # (timestamp_ms, appliance_id): a row's instant and appliance


@dataclass
class HistoryMerge:
    """What an import wrote into the CSV log, and what it left out (counts of rows)."""

    written: int = 0
    days: list[dt.date] = field(default_factory=list)
    present: int = 0  # there already (same instant and appliance)
    running_day: int = 0  # of the running day or later: the service is writing that file
    expired: int = 0  # of days past the CSV retention


def _keyed_lines(data: bytes, clock: LocalClock) -> list[tuple[_Key | None, bytes]]:
    """The file's whole lines without its header, each with its row's key (None: not a row)."""
    lines = data.splitlines(keepends=True)
    if lines and not lines[-1].endswith(b"\n"):
        lines.pop()  # a torn last line: readers skip it too
    parsed = BlockParser(clock.zone, clock).parse([line.rstrip(b"\r\n") for line in lines], 1)
    skipped = set(parsed.skipped)
    rows = (index for index in range(len(lines)) if index not in skipped)
    keys = dict(zip(rows, zip(parsed.instants_ms, parsed.appliance_ids, strict=True), strict=False))
    return [
        (keys.get(index), line) for index, line in enumerate(lines) if line != HEADER or index > 0
    ]


def _merged(
    existing: list[tuple[_Key | None, bytes]], new: list[tuple[_Key, bytes]]
) -> Iterator[bytes]:
    """The existing lines in their order, each new line (sorted by key) before the first
    later row."""
    pending = iter(new)
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


class HistoryWriter:
    """Imported rows into the CSV log's retained past days, merged a few days at a time.

    Rows are held per day and merged into the files (see `merge_into_history`) whenever
    `max_pending_rows` are held (but the newest day, likely still filling, unless it holds as
    many itself), and at `finish`: memory stays bounded to about twice that many rows.
    """

    def __init__(
        self,
        directory: Path,
        zone: ZoneInfo,
        *,
        today: dt.date,
        retention_days: int,
        max_pending_rows: int = MAX_PENDING_ROWS,
    ) -> None:
        self.directory = directory
        self.clock = LocalClock(zone)
        self.merge = HistoryMerge()
        self._from_ms = local_midnight_ms(today - dt.timedelta(days=retention_days), zone)
        self._until_ms = local_midnight_ms(today, zone)
        self._max_pending_rows = max_pending_rows
        # Watts by local date, appliance and instant.
        self._pending: dict[dt.date, dict[int, dict[int, float]]] = {}
        self._held = 0
        self._days: set[dt.date] = set()

    def add(self, columns: ImportedColumns) -> None:
        """Count or hold the rows; merge into the files when enough are held."""
        merge, pending = self.merge, self._pending
        for appliance_id, start, end in columns.runs:  # each run is in time order
            times = columns.timestamps_ms[start:end]
            first = bisect_left(times, self._from_ms)
            last = bisect_left(times, self._until_ms)
            merge.expired += first
            merge.running_day += len(times) - last
            while first < last:
                day = local_date(times[first], self.clock.zone)
                day_end = min(bisect_left(times, local_day_bounds(day, self.clock.zone)[1]), last)
                rows = dict(
                    zip(
                        times[first:day_end],
                        columns.watts[start + first : start + day_end],
                        strict=True,
                    )
                )
                held = pending.setdefault(day, {}).get(appliance_id)
                if held is not None:
                    rows.update(held)  # held rows came first in the file
                pending[day][appliance_id] = rows
                self._held += day_end - first
                first = day_end
        if self._held >= self._max_pending_rows:
            newest = max(pending)  # likely still filling: kept for the next merge, if small
            kept_rows = sum(map(len, pending[newest].values()))
            kept = {newest: pending.pop(newest)} if kept_rows < self._max_pending_rows else {}
            self._write()
            self._pending = kept
            self._held = kept_rows if kept else 0

    def finish(self) -> HistoryMerge:
        """Merge what is held; what was written and left out, the days in order."""
        self._write()
        self.merge.days = sorted(self._days)
        return self.merge

    def _write(self) -> None:
        pending, self._pending, self._held = self._pending, {}, 0
        if not pending:
            return
        with history_lock(self.directory):
            # Rows of a past day still in the running file join the rotated one at rotation.
            running_file = _read(self.directory / LOG_FILENAME)
            running = {key for key, _ in _keyed_lines(running_file, self.clock) if key}
            for day, imported in sorted(pending.items()):
                path = self.directory / f"{LOG_FILENAME}.{day.isoformat()}"
                existing = _keyed_lines(_read(path), self.clock)
                known = running | {key for key, _ in existing if key}
                new: list[tuple[_Key, bytes]] = []
                for appliance_id, points in imported.items():
                    fresh = [ts for ts in points if (ts, appliance_id) not in known]
                    self.merge.present += len(points) - len(fresh)
                    fresh.sort()
                    texts = self._stamps(day, fresh)
                    lines = format_lines(texts, [points[ts] for ts in fresh], appliance_id)
                    new += zip(zip(fresh, repeat(appliance_id)), lines, strict=True)
                if new:
                    new.sort(key=itemgetter(0))
                    _replace(path, _merged(existing, new))
                    self.merge.written += len(new)
                    self._days.add(day)

    def _stamps(self, day: dt.date, instants_ms: list[int]) -> list[str]:
        """The local times of instants of one local day, as the log writes them."""
        start_ms, end_ms = local_day_bounds(day, self.clock.zone)
        if end_ms - start_ms == DAY_MS:  # no clock change: seconds since midnight tell the time
            date_text, times = day.isoformat(), _times_of_day()
            return [f"{date_text} {times[(ts_ms - start_ms) // 1000]}" for ts_ms in instants_ms]
        return [self.clock.local_text(ts_ms) for ts_ms in instants_ms]


@functools.cache
def _times_of_day() -> list[str]:
    """ "HH:MM:SS" of each second of a day."""
    return [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]


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
    writer = HistoryWriter(directory, zone, today=today, retention_days=retention_days)
    columns = ImportedColumns()
    for reading in sorted(readings, key=lambda r: (r.appliance_id, r.timestamp_ms)):
        if not columns.runs or columns.runs[-1][0] != reading.appliance_id:
            columns.runs.append((reading.appliance_id, len(columns), len(columns)))
        appliance_id, start, end = columns.runs[-1]
        columns.runs[-1] = (appliance_id, start, end + 1)
        columns.timestamps_ms.append(reading.timestamp_ms)
        columns.watts.append(reading.watts)
    writer.add(columns)
    return writer.finish()
