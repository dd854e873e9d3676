"""CsvLog: writes the seed's CSV log from readings, one row per appliance per interval.

Intervals are counted from local midnight, so they line up with the clock in every zone. The
file rotates at local midnight to `energy_monitor.log.YYYY-MM-DD`; rotated files older than the
retention are deleted. (The format and the files: see files.)

Every row is one `write` on a file opened for appending, so a crash never tears a line in the
middle of the file; a torn last line (power cut) is cut off when the file is opened again, and
readers skip it. `energymon import` merges history into the rotated files of past days (see
history); a rotation and such a merge exclude each other by `history_lock`.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from energymon.domain.buckets import local_date, local_day_bounds
from energymon.domain.model import Reading
from energymon.storage.seedlog.files import (
    HEADER,
    LOG_FILENAME,
    format_row,
    history_lock,
    rotated_files,
)

__all__ = ["CsvLog"]


@dataclass(slots=True)
class _Interval:
    start_ms: int
    end_ms: int
    sum_watts: float = 0.0
    count: int = 0


def _first_row_date(path: Path) -> dt.date | None:
    with path.open("rb") as file:
        for line in file:
            if line != HEADER and line.endswith(b"\n"):
                try:
                    return dt.date.fromisoformat(line[:10].decode())
                except (ValueError, UnicodeDecodeError):
                    return None
    return None


def _cut_torn_line(path: Path) -> None:
    """Drop a last line without its newline (a write cut short by a power cut)."""
    with path.open("rb+") as file:
        data = file.read()
        if data and not data.endswith(b"\n"):
            file.truncate(data.rfind(b"\n") + 1)


class CsvLog:
    """Writes the seed's CSV log from readings: per appliance, the mean of each interval."""

    def __init__(
        self,
        directory: Path,
        zone: ZoneInfo,
        *,
        interval_seconds: float = 60.0,
        retention_days: int = 7,
    ) -> None:
        self.directory = Path(directory)
        self.zone = zone
        self.path = self.directory / LOG_FILENAME
        self._interval_ms = round(interval_seconds * 1000)
        self._retention = dt.timedelta(days=retention_days)
        self._open: dict[int, _Interval] = {}
        self._lock = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._file_date: dt.date | None = None
        if self.path.exists():
            _cut_torn_line(self.path)
            self._file_date = _first_row_date(self.path)
        self._fd = self._open_current()

    def _open_current(self) -> int:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if os.fstat(fd).st_size == 0:
            os.write(fd, HEADER)
        return fd

    def _interval_of(self, ts_ms: int) -> _Interval:
        day_start_ms, day_end_ms = local_day_bounds(local_date(ts_ms, self.zone), self.zone)
        start_ms = ts_ms - (ts_ms - day_start_ms) % self._interval_ms
        # The last interval of a day ends at midnight, even when the day is not a multiple.
        return _Interval(start_ms, min(start_ms + self._interval_ms, day_end_ms))

    def add(self, reading: Reading) -> None:
        """Count a reading into its appliance's interval; write the row of an interval it ends."""
        self.add_many((reading,))

    def add_many(self, readings: Iterable[Reading]) -> None:
        """`add` each reading."""
        with self._lock:
            for reading in readings:
                current = self._open.get(reading.appliance_id)
                ts_ms = reading.timestamp_ms
                if current is None or not current.start_ms <= ts_ms < current.end_ms:
                    if current is not None:
                        self._write_row(reading.appliance_id, current)
                    current = self._open[reading.appliance_id] = self._interval_of(ts_ms)
                current.sum_watts += reading.watts
                current.count += 1

    def tick(self, now_ms: int) -> None:
        """Write the rows of intervals over by `now_ms` (an appliance gone quiet), and rotate."""
        with self._lock:
            for appliance_id, interval in self._in_time_order():
                if interval.end_ms <= now_ms:
                    self._write_row(appliance_id, interval)
                    del self._open[appliance_id]
            today = local_date(now_ms, self.zone)
            if self._file_date is not None and today > self._file_date:
                self._rotate(today)

    def close(self) -> None:
        """Write the rows of the intervals still open (their mean so far) and close the file."""
        with self._lock:
            if self._fd < 0:
                return
            for appliance_id, interval in self._in_time_order():
                self._write_row(appliance_id, interval)
            self._open.clear()
            os.close(self._fd)
            self._fd = -1

    def _in_time_order(self) -> list[tuple[int, _Interval]]:
        return sorted(self._open.items(), key=lambda item: (item[1].start_ms, item[0]))

    def _write_row(self, appliance_id: int, interval: _Interval) -> None:
        local_time = dt.datetime.fromtimestamp(interval.start_ms / 1000, tz=self.zone)
        if self._file_date is None:
            self._file_date = local_time.date()
        elif local_time.date() > self._file_date:
            self._rotate(local_time.date())
        row = format_row(local_time, interval.sum_watts / interval.count, appliance_id)
        os.write(self._fd, row)  # one write per whole line: never torn by a crash

    def _rotate(self, today: dt.date) -> None:
        with history_lock(self.directory):  # an import may be merging into the rotated files
            os.close(self._fd)
            if self._file_date is not None:
                rotated = self.directory / f"{LOG_FILENAME}.{self._file_date.isoformat()}"
                # The clock went back and forth, or an import wrote the day: keep both's rows.
                if rotated.exists():
                    with rotated.open("ab") as into:
                        into.write(self.path.read_bytes().removeprefix(HEADER))
                    self.path.unlink()
                else:
                    os.replace(self.path, rotated)
            self._file_date = today
            self._fd = self._open_current()
            for day, path in rotated_files(self.directory):
                if day < today - self._retention:
                    path.unlink(missing_ok=True)
