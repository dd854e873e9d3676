"""The storage writer: a thread that flushes the store and the CSV log every few seconds.

The sampler only appends to memory; all disk I/O happens here, off the sampling threads, so a
slow SD card never delays a sample.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Protocol

import structlog

from energymon.domain.model import Reading
from energymon.service.clock import Clock
from energymon.service.views import WriterView
from energymon.storage.base import ReadingStore, StorageError

__all__ = ["ReadingLog", "StorageWriter"]

log = structlog.get_logger("energymon.writer")

PRUNE_EVERY_SECONDS = 3600.0
# A writer that has not finished a flush attempt for this many intervals (and at least
# STUCK_MIN_SECONDS: catching up after an outage takes a while) hangs in I/O.
STUCK_INTERVALS = 6
STUCK_MIN_SECONDS = 60.0


class ReadingLog(Protocol):
    """A secondary record of readings (the seed's CSV log)."""

    def add(self, reading: Reading) -> None:
        """Account one reading; may write a line."""
        ...

    def tick(self, now_ms: int) -> None:
        """Write rows of intervals that ended and rotate at midnight, even without readings."""
        ...

    def close(self) -> None:
        """Write what is pending and release files."""
        ...


class StorageWriter:
    """Flushes `store` every `flush_interval_seconds` and feeds the CSV log, off the sampler."""

    def __init__(
        self,
        store: ReadingStore,
        *,
        flush_interval_seconds: float,
        clock: Clock,
        reading_log: ReadingLog | None = None,
    ) -> None:
        self.store = store
        self.flush_interval_seconds = flush_interval_seconds
        self.clock = clock
        self.reading_log = reading_log
        self.last_error: str | None = None
        self.flushes = 0
        self.failed_flushes = 0
        self._last_attempt: float | None = None  # monotonic: when a flush attempt last ended
        self._log_error: str | None = None  # the CSV log refused writes; said once till it works
        self._log_queue: deque[Reading] = deque(maxlen=1_000_000)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one flush at a time (thread, shutdown, SIGTERM)
        self._last_prune = float("-inf")

    def add(self, reading: Reading) -> None:
        """Take one reading from a sampler thread (memory only)."""
        self.store.append((reading,))
        if self.reading_log is not None:
            self._log_queue.append(reading)

    def start(self) -> None:
        """Start the flushing thread."""
        self._stop.clear()
        self._last_attempt = self.clock.monotonic()
        self._thread = threading.Thread(target=self._run, name="storage-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and flush everything that is buffered."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()
        if self.reading_log is not None:
            self.reading_log.close()

    def _run(self) -> None:
        while not self.clock.wait(self._stop, self.flush_interval_seconds):
            self.flush()
            self._maybe_prune()

    def flush(self) -> bool:
        """Write what is buffered; True when the store accepted it."""
        with self._lock:
            try:
                return self._flush()
            finally:
                self._last_attempt = self.clock.monotonic()

    def _flush(self) -> bool:
        self._drain_log()
        try:
            result = self.store.flush()
        except StorageError as exc:
            self.failed_flushes += 1
            # Once per outage: the message's counts change every flush, the problem does not.
            if self.last_error is None:
                log.error("storage write failed; readings kept in memory", error=str(exc))
            self.last_error = str(exc)
            return False
        self.flushes += 1
        if self.last_error is not None:
            log.info("storage writable again", written=result.readings)
            self.last_error = None
        return True

    def view(self) -> WriterView:
        """Flush counts, and whether the thread still finishes its attempts."""
        last = self._last_attempt
        age = None if last is None else self.clock.monotonic() - last
        limit = max(STUCK_INTERVALS * self.flush_interval_seconds, STUCK_MIN_SECONDS)
        return WriterView(
            flushes=self.flushes,
            failed_flushes=self.failed_flushes,
            last_attempt_age_seconds=age,
            stuck=self._thread is not None and age is not None and age > limit,
            csv_log_error=self._log_error,
        )

    def _drain_log(self) -> None:
        reading_log = self.reading_log
        if reading_log is None:
            return
        try:
            while self._log_queue:
                reading_log.add(self._log_queue[0])
                self._log_queue.popleft()
            reading_log.tick(round(self.clock.time() * 1000))
        except OSError as exc:
            if self._log_error is None:
                log.error("CSV log write failed; rows kept in memory, will retry", error=str(exc))
            self._log_error = str(exc)
            return
        if self._log_error is not None:
            log.info("CSV log writable again")
            self._log_error = None

    def _maybe_prune(self) -> None:
        now = self.clock.monotonic()
        if now - self._last_prune < PRUNE_EVERY_SECONDS:
            return
        self._last_prune = now
        with self._lock:
            try:
                deleted = self.store.prune(round(self.clock.time() * 1000))
            except StorageError as exc:
                log.error("pruning old readings failed", error=str(exc))
                return
        if deleted:
            log.info("pruned readings past retention", rows=deleted)
