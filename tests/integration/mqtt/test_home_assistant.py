"""The real `energymon serve` and a real Mosquitto, watched by a paho subscriber as HA would."""

from __future__ import annotations

import itertools
import json
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from energymon.mqtt.discovery import ENTITIES
from tests.e2e.support import APPLIANCES, wait_until
from tests.integration.mqtt.support import (
    BASE,
    DEVICE_ID,
    MqttServer,
    make_mqtt_server,
    readings_of,
)
from tests.reliability.support import lifetime_wh
from tests.support.homeassistant import problems
from tests.support.mosquitto import Broker, Listener, Received

IDS = [a["id"] for a in APPLIANCES]
TIMEOUT = 15.0
STATE_INTERVAL = 1.0


@pytest.fixture
def broker(broker_factory: Callable[..., Broker]) -> Broker:
    """A plain broker for this test."""
    return broker_factory()


@pytest.fixture
def service(broker: Broker, tmp_path: Path) -> Iterator[MqttServer]:
    """energymon publishing to `broker`, states every second, MQTT 5."""
    server = make_mqtt_server(
        tmp_path / "energymon",
        broker.mqtt_settings(protocol="5", state_interval_seconds=STATE_INTERVAL),
    )
    server.start()
    yield server
    server.kill()


def _discovery_topics(component_key: list[tuple[str, str]], ids: list[int]) -> set[str]:
    return {
        f"homeassistant/{component}/{DEVICE_ID}/appliance_{i}_{key}/config"
        for i in ids
        for component, key in component_key
    }


ENTITY_KEYS = [(e.component, e.key) for e in ENTITIES]


def _configs_arrived(ids: list[int]) -> Callable[[list[Received]], bool]:
    wanted = _discovery_topics(ENTITY_KEYS, ids)
    return lambda messages: wanted <= {m.topic for m in messages if m.payload}


def test_discovery_is_retained_valid_and_has_stable_unique_ids(
    service: MqttServer, broker: Broker
) -> None:
    """A subscriber arriving later gets retained, HA-valid configs for every entity."""
    with Listener(broker, ["homeassistant/#", f"{BASE}/availability"]) as listener:
        messages = listener.wait_for(_configs_arrived(IDS), TIMEOUT, "discovery configs")
        configs = [m for m in messages if m.topic.startswith("homeassistant/")]
        assert all(m.retain for m in configs)
        unique_ids = set()
        for message in configs:
            config = message.json()
            assert problems(message.topic.split("/")[1], config) == [], message.topic
            unique_ids.add(config["unique_id"])
            assert config["device"]["identifiers"] == [f"energymon_{DEVICE_ID}"]
            assert config["device"]["configuration_url"].endswith("/")
        assert len(unique_ids) == len(IDS) * len(ENTITIES)
        listener.wait_for(
            lambda ms: any(m.payload == b"online" and m.retain for m in ms),
            TIMEOUT,
            "retained online",
        )


def test_states_flow_at_the_configured_interval(service: MqttServer, broker: Broker) -> None:
    """Each appliance's state arrives about once per state interval, with its values."""
    topic = f"{BASE}/appliances/1/state"
    with Listener(broker, [topic]) as listener:
        messages = listener.wait_for(lambda ms: len(ms) >= 5, TIMEOUT, "five states")
        live = [m for m in messages if not m.retain]
        gaps = [b.at - a.at for a, b in itertools.pairwise(live)]
        assert gaps, "no live states"
        assert all(0.6 * STATE_INTERVAL < gap < 1.6 * STATE_INTERVAL for gap in gaps), gaps
        state = messages[-1].json()
        assert state["power_w"] > 0
        assert state["voltage_v"] > 0
        assert state["current_a"] is not None


def test_energy_state_equals_the_live_lifetime_energy_of_the_api(
    service: MqttServer, broker: Broker
) -> None:
    """The kWh HA receives lies between two /metrics scrapes of the live energy around it."""
    topic = f"{BASE}/appliances/2/state"
    with Listener(broker, [topic]) as listener:
        with service.client() as client:
            seen = len(listener.on(topic))
            before = lifetime_wh(client)[2]
            listener.wait_for(lambda ms: len(ms) > seen + 1, TIMEOUT, "a fresh state")
            after = lifetime_wh(client)[2]
        energy_kwh = listener.on(topic)[-1].json()["energy_kwh"]
        resolution_kwh = 0.5e-6  # rounded to the mWh
        assert before / 1000 - resolution_kwh <= energy_kwh <= after / 1000 + resolution_kwh
        assert energy_kwh > 0


def test_readings_stream_carries_every_reading_in_schema_one(
    service: MqttServer, broker: Broker
) -> None:
    """Readings arrive in order, once a flush, with the documented fields."""
    with Listener(broker, [f"{BASE}/readings"]) as listener:
        messages = listener.wait_for(lambda ms: len(ms) >= 3, TIMEOUT, "three readings batches")
        bodies = [m.json() for m in messages]
        assert all(b["schema"] == 1 and b["device_id"] == DEVICE_ID for b in bodies)
        seqs = [b["seq"] for b in bodies]
        assert seqs == sorted(seqs)
        for _, reading in readings_of(messages):
            assert set(reading) == {
                "appliance_id", "timestamp", "timestamp_ms", "watts", "volts", "amps",
                "energy_wh", "energy_out_wh", "covered_seconds",
            }  # fmt: skip
        ids = {r["appliance_id"] for _, r in readings_of(messages)}
        assert ids == set(IDS)


def test_home_assistant_birth_message_brings_discovery_and_states_again(
    service: MqttServer, broker: Broker
) -> None:
    """`online` on homeassistant/status republishes every config and state, live."""
    with Listener(broker, ["homeassistant/#", f"{BASE}/appliances/+/availability"]) as listener:
        listener.wait_for(_configs_arrived(IDS), TIMEOUT, "retained discovery")
        count = len(listener.messages)
        listener.publish("homeassistant/status", b"online")
        wanted = _discovery_topics(ENTITY_KEYS, IDS)
        listener.wait_for(
            lambda ms: wanted <= {m.topic for m in ms[count:] if not m.retain},
            TIMEOUT,
            "discovery published again",
        )
        listener.wait_for(
            lambda ms: (
                {f"{BASE}/appliances/{i}/availability" for i in IDS}
                <= {m.topic for m in ms[count:]}
            ),
            TIMEOUT,
            "availability published again",
        )


def test_last_will_says_offline_when_energymon_is_killed(
    service: MqttServer, broker: Broker
) -> None:
    """SIGKILL leaves no goodbye: the broker publishes the retained last will."""
    topic = f"{BASE}/availability"
    with Listener(broker, [topic]) as listener:
        listener.wait_for(lambda ms: any(m.payload == b"online" for m in ms), TIMEOUT, "online")
        service.stop(signal.SIGKILL)
        listener.wait_for(lambda ms: ms[-1].payload == b"offline", TIMEOUT, "the last will")
    with Listener(broker, [topic]) as late:
        (retained,) = late.wait_for(lambda ms: len(ms) >= 1, TIMEOUT, "retained availability")
        assert (retained.payload, retained.retain) == (b"offline", True)


def test_removed_appliance_is_withdrawn_and_a_renamed_one_keeps_its_ids(
    broker: Broker, tmp_path: Path
) -> None:
    """Restarted without appliance 3 and with 1 renamed: 3's configs are emptied, 1's ids kept."""
    folder = tmp_path / "energymon"
    first = make_mqtt_server(folder, broker.mqtt_settings())
    renamed = [dict(APPLIANCES[0], name="Kitchen fridge"), APPLIANCES[1]]
    second: MqttServer | None = None
    energy = f"homeassistant/sensor/{DEVICE_ID}/appliance_1_energy/config"
    record = folder / "data" / "mqtt-discovery.json"
    first.start()
    try:
        with Listener(broker, ["homeassistant/#"]) as listener:
            listener.wait_for(_configs_arrived(IDS), TIMEOUT, "first discovery")
            old_uid = listener.on(energy)[-1].json()["unique_id"]
            assert first.stop() == 0
            count = len(listener.messages)
            # The same folder, so the same data directory: made now, it writes a new config.
            second = make_mqtt_server(folder, broker.mqtt_settings(), renamed)
            second.start()
            cleared = _discovery_topics(ENTITY_KEYS, [3])
            listener.wait_for(
                lambda ms: cleared <= {m.topic for m in ms[count:] if m.payload == b""},
                TIMEOUT,
                "appliance 3 withdrawn",
            )
            listener.wait_for(lambda ms: len(listener.on(energy)) >= 2, TIMEOUT, "new config")
            new = listener.on(energy)[-1].json()
            assert new["unique_id"] == old_uid
            assert new["name"] == "Kitchen fridge energy in"
            wait_until(
                lambda: json.loads(record.read_text())["announced"][0]["appliances"] == [1, 2],
                TIMEOUT,
                "the record without appliance 3",
            )
    finally:
        first.kill()
        if second is not None:
            second.kill()
