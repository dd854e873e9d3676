"""Home Assistant MQTT discovery as data: a table of entity descriptions, and the messages
that announce (or withdraw) them.

Each appliance gets six entities on one device (the Pi): power, energy in, energy out,
voltage and current sensors, and a "sensor problem" binary sensor. Device class, unit and
state class follow Home Assistant's documented valid combinations
(homeassistant/components/sensor/const.py, DEVICE_CLASS_UNITS and DEVICE_CLASS_STATE_CLASSES):
power in W with `measurement`; energy in kWh with `total_increasing`, which the Energy
dashboard accepts; voltage in V and current in A with `measurement`.

- The energy sensors are the appliance's *live* lifetime counters of energy in (positive
  current: consumed, a battery charging; `LifetimeEnergy.live_wh`) and out (negative current:
  fed back, a battery discharging; `live_out_wh`): each never decreases, and importing history
  never makes it jump, which `total_increasing` needs (HA takes a decrease for a meter reset).
  HA's Energy dashboard takes them as a battery's "energy going in" and "coming out". The
  energy-in entity keeps the key `energy` it had before energy out existed, so its history in
  HA carries on.
- The value sensors are available only while both the device (the last will) and the
  appliance's sensor are online (`availability_mode: all`), so an unplugged sensor shows
  "unavailable", not its last value.
- The problem sensor reads the appliance's availability topic itself (`offline` = problem)
  and follows the device's availability alone: it must stay available to say "problem".
- `unique_id` is `energymon_<device id>_<appliance id>_<key>`: a renamed appliance keeps its
  entities (and their history in HA); the name only changes what HA displays.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from energymon import __version__
from energymon.mqtt.topics import OFFLINE, ONLINE, Topics, discovery_topic

__all__ = [
    "ENTITIES",
    "DeviceInfo",
    "EntityDescription",
    "Message",
    "clear_messages",
    "discovery_messages",
    "unique_id",
]

ORIGIN_NAME = "energymon"


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT publish: topic, payload, QoS and the retain flag."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True)
class EntityDescription:
    """One Home Assistant entity of every appliance.

    `field` is the key of the appliance's JSON state that holds the value (None: the entity
    reads the appliance's availability topic instead).
    """

    key: str
    component: str
    name: str
    device_class: str
    unit: str | None = None
    state_class: str | None = None
    field: str | None = None
    display_precision: int | None = None
    entity_category: str | None = None


ENTITIES: tuple[EntityDescription, ...] = (
    EntityDescription("power", "sensor", "power", "power", "W", "measurement", "power_w", 1),
    EntityDescription(
        "energy", "sensor", "energy in", "energy", "kWh", "total_increasing", "energy_kwh", 3
    ),
    EntityDescription(
        "energy_out",
        "sensor",
        "energy out",
        "energy",
        "kWh",
        "total_increasing",
        "energy_out_kwh",
        3,
    ),
    EntityDescription(
        "voltage", "sensor", "voltage", "voltage", "V", "measurement", "voltage_v", 2
    ),
    EntityDescription(
        "current", "sensor", "current", "current", "A", "measurement", "current_a", 3
    ),
    EntityDescription(
        "problem", "binary_sensor", "sensor problem", "problem", entity_category="diagnostic"
    ),
)


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """The Pi as Home Assistant's device registry shows it."""

    device_id: str
    name: str
    configuration_url: str | None
    model: str = "DC energy monitor (INA2xx over I²C)"
    sw_version: str = __version__

    def block(self) -> dict[str, Any]:
        """The discovery payload's `device` block."""
        block: dict[str, Any] = {
            "identifiers": [f"energymon_{self.device_id}"],
            "name": self.name,
            "manufacturer": "energymon",
            "model": self.model,
            "sw_version": self.sw_version,
        }
        if self.configuration_url is not None:
            block["configuration_url"] = self.configuration_url
        return block


def unique_id(device_id: str, appliance_id: int, key: str) -> str:
    """The entity's stable id: device and appliance ids, never the appliance's name."""
    return f"energymon_{device_id}_{appliance_id}_{key}"


def _config(
    entity: EntityDescription,
    appliance_id: int,
    appliance_name: str,
    topics: Topics,
    device: DeviceInfo,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "name": f"{appliance_name} {entity.name}",
        "unique_id": unique_id(device.device_id, appliance_id, entity.key),
        "device_class": entity.device_class,
        "device": device.block(),
        "origin": {"name": ORIGIN_NAME, "sw_version": device.sw_version},
    }
    device_availability = {"topic": topics.availability}
    appliance_availability = topics.appliance_availability(appliance_id)
    if entity.field is None:
        config |= {
            "state_topic": appliance_availability,
            "payload_on": OFFLINE,
            "payload_off": ONLINE,
            "availability": [device_availability],
        }
    else:
        config |= {
            "state_topic": topics.state(appliance_id),
            "value_template": f"{{{{ value_json.{entity.field} }}}}",
            "availability": [device_availability, {"topic": appliance_availability}],
            "availability_mode": "all",
        }
    if entity.unit is not None:
        config["unit_of_measurement"] = entity.unit
    if entity.state_class is not None:
        config["state_class"] = entity.state_class
    if entity.display_precision is not None:
        config["suggested_display_precision"] = entity.display_precision
    if entity.entity_category is not None:
        config["entity_category"] = entity.entity_category
    return config


def discovery_messages(
    appliances: Sequence[tuple[int, str]], topics: Topics, device: DeviceInfo
) -> list[Message]:
    """The retained discovery config of every entity of every (id, name) appliance."""
    return [
        Message(
            topics.discovery(entity.component, appliance_id, entity.key),
            json.dumps(
                _config(entity, appliance_id, name, topics, device), separators=(",", ":")
            ).encode(),
        )
        for appliance_id, name in appliances
        for entity in ENTITIES
    ]


def clear_messages(prefix: str, device_id: str, appliance_ids: Iterable[int]) -> list[Message]:
    """Empty retained payloads on the discovery topics of `appliance_ids`: HA drops them."""
    return [
        Message(discovery_topic(prefix, device_id, entity.component, appliance_id, entity.key), b"")
        for appliance_id in appliance_ids
        for entity in ENTITIES
    ]
