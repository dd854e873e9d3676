"""The MQTT publisher: one thread between the samplers and paho.

    sampler threads ──offer()──► ReadingsStream (queue → outbox) ──► publisher thread ──► paho
    queries (states, energy) ──► StatePublisher ──────────────────────┘      │
                                 Announcer (discovery) ───────────────┘      │
                                 events (acks, connects, HA's birth) ◄───────┘

- Every `batch_interval_seconds` (the storage flush interval) the thread commits the queued
  readings to the outbox and sends the oldest unsent batches (mqtt.stream).
- Every `state_interval_seconds` it publishes each appliance's state and, when it changed,
  its availability (mqtt.states).
- On connect, and when Home Assistant says `online` on its status topic, it publishes the
  device's `online`, discovery (withdrawing removed appliances, mqtt.announced) and every
  appliance's availability and state.
- One log line per change of the connection's state, never one per retry.

Over 250 lines on purpose: one thread's loop and the events it handles read best together;
the parts with their own concept (stream, states, announcer, connection) are modules already.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from energymon.domain.model import Reading
from energymon.mqtt.announced import Announcer
from energymon.mqtt.connection import (
    Acked,
    Connected,
    Connection,
    ConnectionLost,
    HomeAssistantOnline,
    Refused,
)
from energymon.mqtt.discovery import DeviceInfo, Message
from energymon.mqtt.outbox import Outbox
from energymon.mqtt.states import StatePublisher, StateSource
from energymon.mqtt.stream import ReadingsStream
from energymon.mqtt.topics import OFFLINE, ONLINE, Topics
from energymon.service.views import PublisherView

__all__ = ["MqttPublisher", "PublisherSettings"]

log = structlog.get_logger("energymon.mqtt")

Subscribe = Callable[[Callable[[Reading], None]], Callable[[], None]]


@dataclass(frozen=True, slots=True)
class PublisherSettings:
    """What to publish and how often."""

    discovery: bool
    state_interval_seconds: float
    batch_interval_seconds: float


@dataclass(slots=True)
class _Counters:
    published: int = 0
    failed: int = 0
    reconnects: int = 0
    connects: int = 0


@dataclass(slots=True)
class _LinkState:
    connected: bool = False
    last_error: str | None = None
    logged_error: str | None = None


class MqttPublisher:
    """Publishes discovery, states and the readings stream; started and stopped by the runner."""

    name = "mqtt"

    def __init__(
        self,
        *,
        connection: Connection,
        topics: Topics,
        device: DeviceInfo,
        appliances: Sequence[tuple[int, str]],
        states: StateSource,
        subscribe: Subscribe,
        outbox: Outbox | None,
        announced_path: Path,
        settings: PublisherSettings,
    ) -> None:
        self.connection = connection
        self.topics = topics
        self.settings = settings
        self.announcer = Announcer(
            topics=topics,
            device=device,
            appliances=appliances,
            discovery=settings.discovery,
            record_path=announced_path,
            publish=self._publish,
        )
        self.states = StatePublisher(states, topics, self._publish)
        self.stream = None if outbox is None else ReadingsStream(outbox, topics)
        self.counters = _Counters()
        self._subscribe = subscribe
        self._unsubscribe: Callable[[], None] | None = None
        self._link = _LinkState()
        self._wake = threading.Event()
        connection.on_event = self._wake.set
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe to readings, connect, and start the thread."""
        if self.stream is not None:
            self._unsubscribe = self._subscribe(self.stream.offer)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
        self._thread.start()
        self.connection.start()
        log.info("MQTT publisher started", broker=str(self.connection.address))

    def stop(self) -> None:
        """Commit the last readings, send what the broker takes in time, say `offline`, close.

        Batches not acknowledged by then stay in the outbox for the next start.
        """
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        goodbye = Message(self.topics.availability, OFFLINE.encode())
        self.connection.stop(goodbye)
        self._handle_events(acks_only=True)  # what was acknowledged while stopping
        if self.stream is not None:
            self.stream.outbox.close()

    def view(self) -> PublisherView:
        """Connection state, counters and what waits to be sent (any thread)."""
        stream, counters = self.stream, self.counters
        return PublisherView(
            name=self.name,
            target=str(self.connection.address),
            connected=self._link.connected,
            last_error=self._link.last_error or (None if stream is None else stream.error),
            queued_readings=0 if stream is None else stream.waiting,
            published=counters.published,
            failed=counters.failed,
            reconnects=counters.reconnects,
            dropped_readings=0 if stream is None else stream.dropped_readings,
        )

    # -- the publisher thread ------------------------------------------------------------------

    def _run(self) -> None:
        now = time.monotonic()
        next_state = now
        next_batch = now + self.settings.batch_interval_seconds
        while True:
            stopping = self._stop.is_set()
            self._handle_events()
            now = time.monotonic()
            if (now >= next_batch or stopping) and self.stream is not None:
                self.stream.commit()
                next_batch = now + self.settings.batch_interval_seconds
            if self._link.connected:
                if now >= next_state:
                    self.states.publish()
                    next_state = now + self.settings.state_interval_seconds
                if self.stream is not None:
                    self.stream.send(self._publish)
            if stopping:
                return
            self._wake.wait(max(0.0, min(next_batch, next_state) - time.monotonic()))
            self._wake.clear()

    def _handle_events(self, *, acks_only: bool = False) -> None:
        events = self.connection.events
        acked: list[int] = []
        while events:
            event = events.popleft()
            if acks_only and not isinstance(event, Acked):
                continue
            match event:
                case Acked(mid, failure):
                    self._acked(mid, failure)
                    acked.append(mid)
                case Connected():
                    self._connected()
                case Refused(reason) | ConnectionLost(reason):
                    self._disconnected(reason, lost=isinstance(event, ConnectionLost))
                case HomeAssistantOnline():
                    log.info("Home Assistant started; discovery and states published again")
                    self._announce()
        if acked and self.stream is not None:
            # A refused message is gone too: resending what the broker refuses cannot help.
            self.stream.acked(acked)

    def _acked(self, mid: int, failure: str | None) -> None:
        if failure is not None:
            # The broker refused the message (an ACL, a size limit): resending cannot help.
            self.counters.failed += 1
            log.warning("MQTT broker refused a message", mid=mid, reason=failure)
        else:
            self.counters.published += 1
            self.announcer.acked(mid)

    def _connected(self) -> None:
        link = self._link
        self.counters.connects += 1
        if self.counters.connects > 1:
            self.counters.reconnects += 1
        link.connected = True
        link.last_error = link.logged_error = None
        log.info("MQTT connected", broker=str(self.connection.address))
        self._announce()

    def _disconnected(self, reason: str, *, lost: bool) -> None:
        link = self._link
        if link.connected:
            link.connected = False
            link.last_error = reason
            link.logged_error = reason
            log.warning(
                "MQTT connection lost; retrying, readings wait in the outbox",
                broker=str(self.connection.address),
                reason=reason,
            )
            return
        if lost and link.last_error is not None:
            return  # the close after a refusal says less than the refusal did
        link.last_error = reason
        if reason != link.logged_error:
            link.logged_error = reason
            log.error(
                "MQTT cannot connect; retrying, recording goes on",
                broker=str(self.connection.address),
                reason=reason,
            )

    def _publish(self, message: Message) -> int:
        mid, refused = self.connection.publish(message)
        if refused is not None:
            self.counters.failed += 1
            log.warning("MQTT publish refused", topic=message.topic, reason=refused)
        return mid

    def _announce(self) -> None:
        """`online`, discovery (and withdrawals), availabilities and states, all afresh."""
        self._publish(Message(self.topics.availability, ONLINE.encode()))
        self.announcer.announce()
        self.states.publish(force=True)
