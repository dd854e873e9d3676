"""Each appliance's state and availability for Home Assistant, published by the publisher thread.

Availability (`online` while the sensor delivers, else `offline`, retained) goes out when it
changes, and all of it again after a (re)connect or a Home Assistant restart. The state (latest
reading and live lifetime energy, retained) goes out every state interval while the sensor is
online; an offline sensor's entities show "unavailable", not a stale value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import structlog

from energymon.domain.model import ApplianceStatus, Flow
from energymon.mqtt.discovery import Message
from energymon.mqtt.payloads import state_payload
from energymon.mqtt.topics import OFFLINE, ONLINE, Topics
from energymon.service.views import ApplianceView
from energymon.storage.base import LifetimeEnergy

__all__ = ["StatePublisher", "StateSource"]

log = structlog.get_logger("energymon.mqtt")


class StateSource(Protocol):
    """What states need of the service: its appliances' state and live energy (Queries)."""

    def appliances(self) -> list[ApplianceView]:
        """Every configured appliance with its sensor's state."""
        ...

    def lifetime_energy(self) -> LifetimeEnergy:
        """Energy per appliance since records began, live and imported apart."""
        ...


class StatePublisher:
    """Publishes availabilities and states through `publish` (the publisher thread's)."""

    def __init__(
        self, source: StateSource, topics: Topics, publish: Callable[[Message], object]
    ) -> None:
        self.source = source
        self.topics = topics
        self._publish = publish
        self._availability: dict[int, str] = {}  # as last published
        self._energy: dict[int, Flow] = {}  # the highest energy in and out published

    def publish(self, *, force: bool = False) -> None:
        """Every appliance's state; availability when changed (`force`: all of it again)."""
        try:
            views = self.source.appliances()
            lifetime = self.source.lifetime_energy()
        except Exception as exc:  # a store error must not end the publisher thread
            log.warning("MQTT states not published: the store failed", error=str(exc))
            return
        if force:
            self._availability.clear()
        for view in views:
            availability = ONLINE if view.status is ApplianceStatus.OK else OFFLINE
            if self._availability.get(view.id) != availability:
                topic = self.topics.appliance_availability(view.id)
                self._publish(Message(topic, availability.encode()))
                self._availability[view.id] = availability
            reading = view.last_reading
            if availability == ONLINE and reading is not None:
                # total_increasing must never go back, not even by a float's last bit.
                energy = self._energy.setdefault(view.id, Flow())
                energy.in_wh = max(lifetime.live_wh.get(view.id, 0.0), energy.in_wh)
                energy.out_wh = max(lifetime.live_out_wh.get(view.id, 0.0), energy.out_wh)
                payload = state_payload(reading, energy)
                self._publish(Message(self.topics.state(view.id), payload, qos=0))
