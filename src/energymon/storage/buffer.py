"""The readings and gaps waiting for the next flush: bounded, thread-safe, cheap to append to."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from energymon.domain.model import Gap, Reading

__all__ = ["Batch", "PendingBuffer"]


@dataclass(frozen=True, slots=True)
class Batch:
    """What a flush took from the buffer; `commit` removes exactly these once they are stored."""

    readings: list[Reading]
    gaps: list[Gap]
    end_seq: int  # sequence number after the batch's last reading

    @property
    def empty(self) -> bool:
        """Nothing to write."""
        return not self.readings and not self.gaps


class PendingBuffer:
    """Readings appended by the sampler, kept until a flush stores them.

    Readings are numbered in append order, so a flush removes what it wrote even while new
    ones arrive. Beyond `max_readings` (the disk refusing writes for long) the oldest are dropped
    and counted.
    """

    def __init__(self, max_readings: int) -> None:
        self._lock = threading.Lock()
        self._max_readings = max_readings
        self._readings: deque[Reading] = deque()
        self._gaps: list[Gap] = []
        self._head_seq = 0  # sequence number of self._readings[0]
        self._dropped = 0
        self.changes = 0  # readings and gaps added so far: what an answer kept rests on

    def append(self, readings: Iterable[Reading]) -> None:
        """Add readings; the sampler's hot path, so a lock and a deque extend, nothing more."""
        with self._lock:
            self._readings.extend(readings)
            self.changes += 1
            if len(self._readings) > self._max_readings:
                self._drop_oldest()

    def _drop_oldest(self) -> None:
        overflow = len(self._readings) - self._max_readings
        for _ in range(overflow):
            self._readings.popleft()
        self._head_seq += overflow
        self._dropped += overflow

    def add_gap(self, gap: Gap) -> None:
        """Add a gap."""
        with self._lock:
            self._gaps.append(gap)
            self.changes += 1

    def take(self) -> Batch:
        """Everything pending, left in place until `commit`."""
        with self._lock:
            readings = list(self._readings)
            return Batch(readings, list(self._gaps), self._head_seq + len(readings))

    def commit(self, batch: Batch) -> None:
        """Forget what `batch` held: it is stored now."""
        with self._lock:
            stored = batch.end_seq - self._head_seq
            if stored >= len(self._readings):
                self._readings.clear()
            elif stored > 0:  # keep what arrived during the flush (a copy in C, not a loop)
                self._readings = deque(islice(self._readings, stored, None))
            self._head_seq += max(stored, 0)
            del self._gaps[: len(batch.gaps)]

    def snapshot(self) -> tuple[list[Reading], list[Gap]]:
        """Copies of the pending readings and gaps, for queries."""
        with self._lock:
            return list(self._readings), list(self._gaps)

    @property
    def pending(self) -> int:
        """Readings waiting."""
        return len(self._readings)

    @property
    def dropped(self) -> int:
        """Readings dropped because the buffer was full."""
        return self._dropped
