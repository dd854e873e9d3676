"""A one-line progress bar on a terminal: rows done, rate and time left, from bytes read.

Hand-written rather than rich or tqdm: neither is a dependency of the service (rich comes
only with the test tools), a Raspberry Pi should not pull one in for one line, and this needs
only a carriage return. Nothing is drawn when the stream is not a terminal (a pipe, a file,
cron's mail), so scripts see exactly the lines they saw before.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["MIN_REDRAW_SECONDS", "Progress"]

MIN_REDRAW_SECONDS = 0.25  # at most four redraws a second
_BAR_CELLS = 20


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Progress through `total_bytes` of input, redrawn in place on a terminal.

    Args:
        stream: where to draw (stderr); nothing is drawn unless it is a terminal.
        label: what is being done, e.g. the file's name.
        total_bytes: the input's size; the fraction done and the time left follow bytes.
        clock: monotonic seconds (a parameter for tests).
    """

    def __init__(
        self,
        stream: TextIO,
        label: str,
        total_bytes: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.label = label
        self.total_bytes = max(total_bytes, 1)
        self._clock = clock
        self._started = clock()
        self._drawn_at = -MIN_REDRAW_SECONDS
        self._shown = False
        self.rows = 0
        self.bytes_done = 0

    def update(self, rows: int, bytes_done: int) -> None:
        """Record the rows and bytes done so far; redraw if the last drawing is old enough."""
        self.rows, self.bytes_done = rows, bytes_done
        now = self._clock()
        if self.enabled and now - self._drawn_at >= MIN_REDRAW_SECONDS:
            self._drawn_at = now
            self._draw(now)

    def line(self, now: float) -> str:
        """The text of the bar at `now`: label, bar, percent, rows, rows/s, time left."""
        fraction = min(self.bytes_done / self.total_bytes, 1.0)
        elapsed = max(now - self._started, 1e-9)
        filled = round(fraction * _BAR_CELLS)
        bar = "#" * filled + "-" * (_BAR_CELLS - filled)
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        eta = f"ETA {_duration(left)}" if left is not None else "ETA ?"
        return (
            f"{self.label} [{bar}] {fraction:4.0%} {self.rows:,} rows "
            f"{self.rows / elapsed:,.0f} rows/s {eta}"
        )

    def _width(self) -> int:
        """The terminal's columns less one (a full line would wrap on some terminals)."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):  # not a real descriptor (tests)
            columns = 0
        return (columns or shutil.get_terminal_size().columns) - 1  # 0: a size never set

    def _draw(self, now: float) -> None:
        width = self._width()
        self.stream.write("\r" + self.line(now)[:width].ljust(width))
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Take the bar off its line (before printing something else there)."""
        if self._shown:
            width = self._width()
            self.stream.write("\r" + " " * width + "\r")
            self.stream.flush()
            self._shown = False
            self._drawn_at = -MIN_REDRAW_SECONDS

    def finish(self) -> None:
        """Draw the final state and end its line (on a terminal)."""
        if self.enabled:
            now = self._clock()
            self._draw(now)
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False
