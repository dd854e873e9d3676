"""The readings stream: sampler readings → bounded queue → outbox batches → QoS 1 messages.

- `offer` runs on a sampler thread for each reading: one `deque.append`, no lock held long,
  no I/O. The queue holds QUEUE_READINGS; past that (the publisher thread stuck for hours)
  the oldest are dropped and counted.
- `commit` (publisher thread, once a storage flush) writes the queued readings to the outbox
  as one batch (MAX_BATCH_READINGS at most per message); if the outbox cannot be written they
  wait in memory, within the same bound, and the error shows in /health.
- `send` hands the oldest unsent batches to paho, at most WINDOW unacknowledged at a time;
  `acked` deletes them once the broker has them. paho keeps unacknowledged messages and sends
  them again, first, after a reconnect, so batches go out in order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

import structlog

from energymon.domain.model import Reading
from energymon.mqtt.discovery import Message
from energymon.mqtt.outbox import Outbox, OutboxError
from energymon.mqtt.payloads import encode_readings, readings_message
from energymon.mqtt.topics import Topics

__all__ = ["MAX_BATCH_READINGS", "QUEUE_READINGS", "WINDOW", "ReadingsStream"]

log = structlog.get_logger("energymon.mqtt")

QUEUE_READINGS = 100_000  # about 9 hours of three appliances at 1 Hz with the thread stuck
MAX_BATCH_READINGS = 1000  # per readings message: about 150 kB of JSON
WINDOW = 16  # readings messages sent and not yet acknowledged


class ReadingsStream:
    """Queue, outbox and in-flight messages of `<base>/readings`."""

    def __init__(self, outbox: Outbox, topics: Topics) -> None:
        self.outbox = outbox
        self.topics = topics
        self.dropped_readings = 0
        self.error: str | None = None  # the outbox refuses writes
        self._queue: deque[Reading] = deque(maxlen=QUEUE_READINGS)
        self._unwritten: list[Reading] = []  # taken from the queue, refused by the outbox
        self._in_flight: dict[int, int] = {}  # paho message id -> outbox row id
        self._sent_upto = 0  # the highest outbox row id handed to paho

    def offer(self, reading: Reading) -> None:
        """Queue a finished reading (sampler thread: never blocks)."""
        if len(self._queue) == QUEUE_READINGS:
            self.dropped_readings += 1
        self._queue.append(reading)

    @property
    def waiting(self) -> int:
        """Readings not yet acknowledged: on disk and in memory (any thread)."""
        return self.outbox.readings + len(self._queue) + len(self._unwritten)

    def commit(self) -> None:
        """Write the queued readings to the outbox (publisher thread)."""
        queue = self._queue
        pending = self._unwritten + [queue.popleft() for _ in range(len(queue))]
        if len(pending) > QUEUE_READINGS:
            self._dropped(len(pending) - QUEUE_READINGS, "the outbox cannot be written")
            pending = pending[-QUEUE_READINGS:]
        written = 0
        try:
            for start in range(0, len(pending), MAX_BATCH_READINGS):
                chunk = pending[start : start + MAX_BATCH_READINGS]
                dropped = self.outbox.append(encode_readings(chunk), len(chunk))
                written = start + len(chunk)
                if dropped:
                    self._dropped(dropped, "the outbox is full")
        except OutboxError as exc:
            self._unwritten = pending[written:]
            self._failed(exc)
            return
        self._unwritten = []
        if self.error is not None:
            log.info("MQTT outbox writable again")
            self.error = None

    def send(self, publish: Callable[[Message], int]) -> None:
        """Hand the oldest unsent batches to paho, up to the window (publisher thread)."""
        if len(self._in_flight) >= WINDOW:
            return
        try:
            rows = self.outbox.oldest(self._sent_upto, WINDOW - len(self._in_flight))
        except OutboxError as exc:
            self._failed(exc)
            return
        for row_id, body in rows:
            payload = readings_message(self.topics.device_id, row_id, body)
            mid = publish(Message(self.topics.readings, payload, retain=False))
            self._in_flight[mid] = row_id
            self._sent_upto = row_id

    def acked(self, mids: Iterable[int]) -> None:
        """Delete the batches of acknowledged (or refused) messages (publisher thread)."""
        rows = [row for mid in mids if (row := self._in_flight.pop(mid, None)) is not None]
        if not rows:
            return
        try:
            self.outbox.remove(rows)
        except OutboxError as exc:
            self._failed(exc)  # the batches are sent again after a restart: copies, no loss

    def _dropped(self, readings: int, why: str) -> None:
        if self.dropped_readings == 0:
            log.warning("MQTT readings dropped, oldest first", readings=readings, reason=why)
        self.dropped_readings += readings

    def _failed(self, exc: OutboxError) -> None:
        if self.error is None:
            log.error("MQTT outbox write failed; readings kept in memory", error=str(exc))
        self.error = str(exc)
