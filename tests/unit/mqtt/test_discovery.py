"""Home Assistant discovery as data: every entity valid for HA, ids stable, withdrawals empty."""

from __future__ import annotations

import json

import pytest

from energymon.mqtt.discovery import (
    ENTITIES,
    DeviceInfo,
    clear_messages,
    discovery_messages,
    unique_id,
)
from energymon.mqtt.topics import Topics
from tests.support.homeassistant import problems

TOPICS = Topics(base="energymon/abc123", discovery_prefix="homeassistant", device_id="abc123")
DEVICE = DeviceInfo(device_id="abc123", name="energymon pi", configuration_url="http://pi:8000/")
APPLIANCES = [(1, "Refrigerator"), (7, "Water Heater")]


def _configs(appliances: list[tuple[int, str]]) -> dict[str, dict[str, object]]:
    return {m.topic: json.loads(m.payload) for m in discovery_messages(appliances, TOPICS, DEVICE)}


def test_every_entity_is_valid_for_home_assistant() -> None:
    """Each config has HA's valid device class, unit and state class, a device and an origin."""
    for topic, config in _configs(APPLIANCES).items():
        component = topic.split("/")[1]
        assert problems(component, config) == [], topic


def test_six_retained_entities_per_appliance_with_stable_unique_ids() -> None:
    """Power, energy in and out, voltage, current and problem per appliance, retained, QoS 1."""
    messages = discovery_messages(APPLIANCES, TOPICS, DEVICE)
    assert len(messages) == len(APPLIANCES) * len(ENTITIES) == 12
    assert all(m.retain and m.qos == 1 for m in messages)
    ids = {json.loads(m.payload)["unique_id"] for m in messages}
    assert ids == {
        unique_id("abc123", appliance_id, key)
        for appliance_id, _ in APPLIANCES
        for key in ("power", "energy", "energy_out", "voltage", "current", "problem")
    }
    assert "homeassistant/sensor/abc123/appliance_1_energy/config" in {m.topic for m in messages}


def test_renamed_appliance_keeps_topics_and_unique_ids() -> None:
    """A new name changes what HA shows, never the topic or unique_id."""
    before = _configs([(1, "Fridge")])
    after = _configs([(1, "Kitchen fridge")])
    assert before.keys() == after.keys()
    for topic, config in after.items():
        assert config["unique_id"] == before[topic]["unique_id"]
        assert str(config["name"]).startswith("Kitchen fridge ")


def test_energy_is_total_increasing_kwh_and_power_a_measurement() -> None:
    """Both energy sensors (in, out) are what HA's Energy dashboard accepts for a battery;
    power is a measurement in W."""
    configs = _configs([(1, "Fridge")])
    power = configs["homeassistant/sensor/abc123/appliance_1_power/config"]
    for key, field in (("energy", "energy_kwh"), ("energy_out", "energy_out_kwh")):
        energy = configs[f"homeassistant/sensor/abc123/appliance_1_{key}/config"]
        assert (energy["device_class"], energy["unit_of_measurement"], energy["state_class"]) == (
            "energy",
            "kWh",
            "total_increasing",
        )
        assert energy["value_template"] == f"{{{{ value_json.{field} }}}}"
    assert (power["device_class"], power["unit_of_measurement"], power["state_class"]) == (
        "power",
        "W",
        "measurement",
    )


def test_values_need_device_and_sensor_online_but_the_problem_sensor_only_the_device() -> None:
    """An offline sensor makes its values unavailable; the problem sensor still reports it."""
    configs = _configs([(1, "Fridge")])
    power = configs["homeassistant/sensor/abc123/appliance_1_power/config"]
    problem = configs["homeassistant/binary_sensor/abc123/appliance_1_problem/config"]
    appliance_availability = "energymon/abc123/appliances/1/availability"
    assert power["availability"] == [
        {"topic": "energymon/abc123/availability"},
        {"topic": appliance_availability},
    ]
    assert power["availability_mode"] == "all"
    assert problem["availability"] == [{"topic": "energymon/abc123/availability"}]
    assert (problem["state_topic"], problem["payload_on"], problem["payload_off"]) == (
        appliance_availability,
        "offline",
        "online",
    )


def test_device_block_names_the_pi_and_links_the_dashboard() -> None:
    """One device per Pi with its identifiers, software version and dashboard URL."""
    config = next(iter(_configs([(1, "Fridge")]).values()))
    device = config["device"]
    assert isinstance(device, dict)
    assert device["identifiers"] == ["energymon_abc123"]
    assert device["configuration_url"] == "http://pi:8000/"
    assert device["name"] == "energymon pi"
    assert "sw_version" in device
    assert config["origin"] == {"name": "energymon", "sw_version": device["sw_version"]}


@pytest.mark.parametrize("appliance_ids", [[3], [3, 9]])
def test_withdrawal_is_an_empty_retained_payload_on_every_entity_topic(
    appliance_ids: list[int],
) -> None:
    """Clearing a removed appliance empties exactly the topics discovery announced."""
    cleared = clear_messages("homeassistant", "abc123", appliance_ids)
    announced = discovery_messages([(i, "x") for i in appliance_ids], TOPICS, DEVICE)
    assert [m.topic for m in cleared] == [m.topic for m in announced]
    assert all(m.payload == b"" and m.retain for m in cleared)
