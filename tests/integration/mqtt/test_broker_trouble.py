"""Wrong credentials and an untrusted TLS certificate: one clear error, the service records on;
the right ones connect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.support import wait_until
from tests.integration.mqtt.support import BASE, MqttServer, make_mqtt_server
from tests.support.mosquitto import Broker, Listener, make_certificates

TIMEOUT = 15.0
CANNOT_CONNECT = '"event": "MQTT cannot connect'


def _attempts(broker: Broker) -> int:
    return broker.log().count("New connection from")


def _refused_but_recording(server: MqttServer, broker: Broker, reason: str) -> None:
    """Run `server`: one log line for many attempts, /health degraded with the reason, and
    readings stored all the while."""
    server.start()
    try:
        before = _attempts(broker)
        wait_until(lambda: _attempts(broker) >= before + 2, TIMEOUT, "two retries at the broker")
        health = server.health()
        assert health["status"] == "degraded"
        assert health["healthy"] is True
        publisher = health["publishers"][0]
        assert publisher["connected"] is False
        assert reason in publisher["last_error"]
        assert any("mqtt" in r and reason in r for r in health["reasons"]), health["reasons"]
        assert server.output().count(CANNOT_CONNECT) == 1, server.output()
        with server.client() as client:
            query = {"applianceId": 1, "limit": 1}
            first = client.get("/energy/history", params=query).json()
            wait_until(
                lambda: client.get("/energy/history", params=query).json() != first,
                TIMEOUT,
                "a newer reading",
            )
    finally:
        assert server.stop() == 0


def _connects(server: MqttServer, listener: Listener) -> None:
    """Run `server` until it is connected, `online` has arrived and /health says ok."""
    server.start()
    try:
        wait_until(lambda: bool(server.mqtt_health()["connected"]), TIMEOUT, "a connection")
        listener.wait_for(lambda ms: any(m.payload == b"online" for m in ms), TIMEOUT, "online")
        assert server.health()["status"] == "ok"
    finally:
        server.kill()


def test_wrong_password_is_one_clear_error_and_the_right_one_connects(
    broker_factory: Callable[..., Broker], tmp_path: Path
) -> None:
    """Refused with "Not authorized" (MQTT 3.1.1, password file); then MQTT 5 via the env."""
    broker = broker_factory(users={"pi": "right"})
    secret = tmp_path / "mqtt-password"
    secret.write_text("wrong\n")
    settings: dict[str, Any] = broker.mqtt_settings(username="pi", password_file=str(secret))
    _refused_but_recording(make_mqtt_server(tmp_path / "a", settings), broker, "Not authorized")
    accepted = make_mqtt_server(
        tmp_path / "b",
        broker.mqtt_settings(username="pi", protocol="5"),
        env={"ENERGYMON_MQTT__PASSWORD": "right"},
    )
    with Listener(broker, [f"{BASE}/availability"], username="pi", password="right") as listener:
        _connects(accepted, listener)


def test_untrusted_certificate_is_one_clear_error_and_the_right_ca_connects(
    broker_factory: Callable[..., Broker], tmp_path: Path
) -> None:
    """A broker whose certificate another CA signed is refused, said once; its own CA works."""
    ours = make_certificates(tmp_path / "ca-ours", "ours")
    other = make_certificates(tmp_path / "ca-other", "other")
    broker = broker_factory(tls=ours)
    untrusting = broker.mqtt_settings(tls={"ca_file": str(other.ca_file)})
    _refused_but_recording(
        make_mqtt_server(tmp_path / "a", untrusting), broker, "certificate is not trusted"
    )
    trusting = make_mqtt_server(
        tmp_path / "b", broker.mqtt_settings(tls={"ca_file": str(ours.ca_file)})
    )
    with Listener(broker, [f"{BASE}/availability"]) as listener:
        _connects(trusting, listener)
    assert trusting.output().count('"event": "MQTT connected"') == 1
