"""A real `energymon serve` with `[mqtt]` pointing at a test Mosquitto, and what it publishes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.e2e.support import (
    APPLIANCES,
    ServerProcess,
    config_mapping,
    free_port,
    write_config,
)
from tests.support.mosquitto import Received

__all__ = [
    "DEVICE_ID",
    "MqttServer",
    "make_mqtt_server",
    "readings_of",
    "write_mqtt_config",
]

DEVICE_ID = "testpi"
BASE = f"energymon/{DEVICE_ID}"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def write_mqtt_config(
    path: Path,
    data_dir: Path,
    mqtt: Mapping[str, Any],
    appliances: Sequence[Mapping[str, Any]] = APPLIANCES,
) -> Path:
    """The e2e tests' fast simulated config with an `[mqtt]` table (and `[mqtt.tls]`)."""
    mapping = config_mapping(data_dir)
    mapping["appliances"] = list(appliances)
    write_config(path, mapping)
    lines = ["[mqtt]", f'device_id = "{DEVICE_ID}"']
    lines += [f"{k} = {_toml(v)}" for k, v in mqtt.items() if not isinstance(v, Mapping)]
    for key, table in mqtt.items():
        if isinstance(table, Mapping):
            lines += [f"[mqtt.{key}]", *(f"{k} = {_toml(v)}" for k, v in table.items())]
    with path.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    return path


class MqttServer(ServerProcess):
    """`energymon serve` with its /health's publisher at hand."""

    def health(self) -> dict[str, Any]:
        """GET /health as JSON."""
        with self.client() as client:
            body: dict[str, Any] = client.get("/health").json()
            return body

    def mqtt_health(self) -> dict[str, Any]:
        """The MQTT publisher's part of /health."""
        (publisher,) = self.health()["publishers"]
        assert publisher["name"] == "mqtt"
        return publisher


def make_mqtt_server(
    tmp: Path,
    mqtt: Mapping[str, Any],
    appliances: Sequence[Mapping[str, Any]] = APPLIANCES,
    *,
    env: Mapping[str, str] | None = None,
) -> MqttServer:
    """A not yet started MqttServer with its config and data directory under `tmp`."""
    tmp.mkdir(parents=True, exist_ok=True)
    data_dir = tmp / "data"
    config = write_mqtt_config(tmp / "energymon.toml", data_dir, mqtt, appliances)
    return MqttServer(
        config,
        data_dir,
        free_port(),
        tmp / "server.log",
        env=dict(env or {}),
        appliance_ids=tuple(a["id"] for a in appliances),
    )


def readings_of(messages: list[Received]) -> list[tuple[int, dict[str, Any]]]:
    """(seq, reading) of every reading in the readings-stream messages, in arrival order."""
    return [
        (body["seq"], reading)
        for body in (m.json() for m in messages if m.topic == f"{BASE}/readings")
        for reading in body["readings"]
    ]
