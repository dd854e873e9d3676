"""The seed's CSV log on disk: its format, its files, their lock, reading them back.

Format, as the seed writes it and tools read it::

    timestamp,watts,appliance_id
    2024-12-04 10:00:00,125.5,1

Timestamps are local time in the configured zone, to the second, and stamp the start of the
interval; watts is the interval's mean, to one decimal. The running day's file is
`logs/energy_monitor.log`; at local midnight it rotates to `energy_monitor.log.YYYY-MM-DD`
(see writer). A rotation and an import merging into past days (see history) exclude each other
by `history_lock`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = [
    "HEADER",
    "LOG_FILENAME",
    "format_line",
    "format_lines",
    "format_row",
    "history_lock",
    "iter_log",
    "logs_dir",
    "rotated_files",
]

LOG_FILENAME = "energy_monitor.log"
LOCK_FILENAME = "energy_monitor.lock"  # not a rotated name: downloads and retention skip it
HEADER = b"timestamp,watts,appliance_id\n"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_ROTATED = re.compile(re.escape(LOG_FILENAME) + r"\.(\d{4}-\d{2}-\d{2})")
_READ_BLOCK = 64 * 1024


def logs_dir(data_dir: Path) -> Path:
    """Where the seed keeps its logs: `<data_dir>/logs`."""
    return data_dir / "logs"


@contextlib.contextmanager
def history_lock(directory: Path) -> Iterator[None]:
    """Hold the logs directory's lock on rotated files (another process may wait for it).

    An flock: the kernel frees it when its holder dies, so a crash never leaves it taken. It
    needs only a read-only descriptor, so the lock file may belong to another user (root).
    """
    fd = os.open(directory / LOCK_FILENAME, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def format_row(local_time: dt.datetime, watts: float, appliance_id: int) -> bytes:
    """One CSV row, newline included: `2024-12-04 10:00:00,125.5,1`."""
    return format_line(local_time.strftime(TIMESTAMP_FORMAT), watts, appliance_id)


def format_line(local_text: str, watts: float, appliance_id: int) -> bytes:
    """`format_row` with the local time formatted already ("2024-12-04 10:00:00")."""
    return format_lines([local_text], [watts], appliance_id)[0]


def format_lines(
    local_texts: Iterable[str], watts: Iterable[float], appliance_id: int
) -> list[bytes]:
    """`format_line` for many rows of one appliance."""
    end = f",{appliance_id}\n"
    # -0.05 < w <= 0 rounds to "-0.0" (or "0.0"): the log writes "0.0".
    return [
        (f"{text},{value:.1f}{end}" if not -0.05 < value <= 0.0 else f"{text},0.0{end}").encode()
        for text, value in zip(local_texts, watts, strict=True)
    ]


def rotated_files(directory: Path) -> list[tuple[dt.date, Path]]:
    """The rotated files in the directory, oldest day first."""
    found = []
    for path in directory.glob(LOG_FILENAME + ".*"):
        match = _ROTATED.fullmatch(path.name)
        if match:
            found.append((dt.date.fromisoformat(match.group(1)), path))
    return sorted(found)


def _complete_lines(path: Path) -> Iterator[bytes]:
    """The file's whole lines, in blocks, without its header; a torn last line is left out."""
    with path.open("rb") as file:
        carry = b""
        first = True
        while block := file.read(_READ_BLOCK):
            data = carry + block
            cut = data.rfind(b"\n") + 1
            data, carry = data[:cut], data[cut:]
            if first and data:
                data = data.removeprefix(HEADER)
                first = False
            if data:
                yield data


def iter_log(directory: Path) -> Iterator[bytes]:
    """The retained log, oldest first, as one CSV with the header once (for downloads)."""
    yield HEADER
    paths = [path for _, path in rotated_files(directory)]
    current = directory / LOG_FILENAME
    if current.exists():
        paths.append(current)
    for path in paths:
        try:
            yield from _complete_lines(path)
        except FileNotFoundError:  # rotated away or deleted while we were reading
            continue
