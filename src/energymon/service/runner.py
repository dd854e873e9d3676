"""The running service: sampler threads and the writer, started and stopped together.

Finished readings go to the writer and then to the subscribers (SSE, MQTT, serve's readiness
check), on the sampler thread that made them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog

from energymon.domain.model import Gap, Reading
from energymon.drivers.base import SMBusLike
from energymon.service.clock import Clock
from energymon.service.sampler import BusSampler
from energymon.service.views import PublisherView
from energymon.service.writer import StorageWriter
from energymon.storage.base import ReadingStore

__all__ = ["Publisher", "Runner", "Subscriber"]

log = structlog.get_logger("energymon.monitor")

Subscriber = Callable[[Reading], None]


class Publisher(Protocol):
    """Sends readings elsewhere (the MQTT publisher): started after the samplers, stopped
    after them and before the store closes, so it sees every reading and can still ask for
    the lifetime energy."""

    def start(self) -> None:
        """Subscribe and connect; never blocks on the far end."""
        ...

    def stop(self) -> None:
        """Take the last readings, say goodbye within a few seconds, release everything."""
        ...

    def view(self) -> PublisherView:
        """Its state for /health and /metrics."""
        ...


class Runner:
    """Starts and stops the samplers and the writer, and hands each reading on."""

    def __init__(
        self,
        *,
        samplers: Sequence[BusSampler],
        writer: StorageWriter,
        store: ReadingStore,
        clock: Clock,
        buses: Sequence[SMBusLike] = (),
    ) -> None:
        self.samplers = list(samplers)
        self.writer = writer
        self.store = store
        self.clock = clock
        self.started_at = clock.monotonic()  # monotonic seconds of the last start
        self.running = False
        self._buses = list(buses)
        self._subscribers: list[Subscriber] = []
        self._subscribers_lock = threading.Lock()
        self.publishers: list[Publisher] = []
        for sampler in self.samplers:
            sampler.connect(self.on_reading, self.on_gap)

    def start(self) -> None:
        """Start the writer and one sampler thread per bus."""
        if self.running:
            return
        self.running = True
        self.started_at = self.clock.monotonic()
        self.writer.start()
        for sampler in self.samplers:
            sampler.start()
        for publisher in self.publishers:
            publisher.start()
        channels = sum(len(sampler.channels) for sampler in self.samplers)
        log.info("monitor started", appliances=channels, buses=len(self.samplers))

    def stop(self) -> None:
        """Stop sampling, flush everything to disk and release sensors, buses and the store."""
        if not self.running:
            return
        self.running = False
        for sampler in self.samplers:
            sampler.stop()
        for publisher in self.publishers:
            publisher.stop()
        self.writer.stop()
        self.store.close()
        for channel in (c for sampler in self.samplers for c in sampler.channels):
            channel.sensor.close()
        for bus in self._buses:
            bus.close()
        log.info("monitor stopped")

    def __enter__(self) -> Runner:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def add_publisher(self, publisher: Publisher) -> None:
        """Start and stop `publisher` with the runner (the composition root adds them)."""
        self.publishers.append(publisher)
        if self.running:
            publisher.start()

    def on_reading(self, reading: Reading) -> None:
        """Store a finished reading and tell the subscribers (sampler thread)."""
        self.writer.add(reading)
        with self._subscribers_lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(reading)
            except Exception:
                log.exception("subscriber failed", subscriber=repr(subscriber))

    def on_gap(self, gap: Gap) -> None:
        """Record a stretch without energy (sampler thread)."""
        self.store.record_gap(gap)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` (on a sampler thread; keep it quick) for each new reading.

        Returns the function that unsubscribes.
        """
        with self._subscribers_lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._subscribers_lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe
