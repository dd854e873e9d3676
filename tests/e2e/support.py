"""Helpers for the HTTP tests: settings, a real `energymon serve` subprocess, polling."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ENERGYMON = Path(sys.executable).with_name("energymon")
READY_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 15.0
ZONE = "Europe/Berlin"  # fixed, so timestamps are checked against a known offset
ALLOWED_ORIGIN = "http://allowed.example"
API_KEY = "s3cret-" + uuid.uuid4().hex  # what keyed servers (make_keyed_server) need
APPLIANCES: list[dict[str, Any]] = [
    {"id": 1, "name": "Refrigerator", "driver": "simulated", "address": 0x40,
     "simulation": {"profile": "refrigerator"}},
    {"id": 2, "name": "Air Conditioner", "driver": "simulated", "address": 0x41,
     "simulation": {"profile": "air-conditioner"}},
    {"id": 3, "name": "Water Heater", "driver": "simulated", "address": 0x44,
     "simulation": {"profile": "water-heater"}},
]  # fmt: skip


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.02)


def config_mapping(
    data_dir: Path, storage: Mapping[str, Any] | None = None, **server: Any
) -> dict[str, Any]:
    """Settings for a fast simulated service: 10 readings a second, flushed twice a second."""
    return {
        "timezone": ZONE,
        "server": {"host": "127.0.0.1", "cors_origins": [ALLOWED_ORIGIN], **server},
        "sampling": {"interval_seconds": 0.1, "oversample_hz": 50.0},
        "storage": {
            "data_dir": str(data_dir),
            "flush_interval_seconds": 0.5,
            "csv_interval_seconds": 1.0,
            **(storage or {}),
        },
        "tariff": {"price_per_kwh": 0.30, "currency": "EUR"},
        "appliances": APPLIANCES,
    }


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def write_config(path: Path, mapping: Mapping[str, Any]) -> Path:
    """Write settings as TOML (the subset config_mapping produces)."""
    lines = [
        f"{k} = {_toml_value(v)}" for k, v in mapping.items() if not isinstance(v, dict | list)
    ]
    for section, values in mapping.items():
        if isinstance(values, dict):
            lines += [f"[{section}]", *(f"{k} = {_toml_value(v)}" for k, v in values.items())]
    for appliance in mapping.get("appliances", []):
        lines.append("[[appliances]]")
        for key, value in appliance.items():
            if not isinstance(value, dict):
                lines.append(f"{key} = {_toml_value(value)}")
        if "simulation" in appliance:
            lines.append("[appliances.simulation]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in appliance["simulation"].items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """`energymon serve` running in a subprocess on a loopback port."""

    config_path: Path
    data_dir: Path
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    # The appliances whose first reading means "ready" (a test's config may drop some).
    appliance_ids: tuple[int, ...] = tuple(a["id"] for a in APPLIANCES)

    @property
    def base_url(self) -> str:
        """Where the server listens."""
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client for this server (send the API key yourself)."""
        return httpx.Client(base_url=self.base_url, timeout=5.0, **kwargs)

    def start(self) -> None:
        """Start the process and wait until every appliance has a reading."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENERGYMON_")}
        env.update(self.env)
        command = [str(ENERGYMON), "serve", "--config", str(self.config_path)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)], stdout=log, stderr=log, env=env
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        with self.client(headers=self.headers) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    pytest.fail(f"server exited with {self.process.returncode}:\n{self.output()}")
                try:
                    if all(
                        client.get("/energy", params={"applianceId": i}).status_code == 200
                        for i in self.appliance_ids
                    ):
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(0.05)
        self.kill()
        pytest.fail(f"server not ready within {READY_TIMEOUT_SECONDS} s:\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send `sig` and wait for the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"server ignored signal {sig} for {STOP_TIMEOUT_SECONDS} s")

    def kill(self) -> None:
        """End the process without ceremony."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        """What the server logged."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-5000:]


def make_server(
    tmp: Path,
    *,
    env: Mapping[str, str] | None = None,
    storage: Mapping[str, Any] | None = None,
    **server: Any,
) -> ServerProcess:
    """A not yet started server with its own config and data directory under `tmp`."""
    data_dir = tmp / "data"
    config = write_config(tmp / "energymon.toml", config_mapping(data_dir, storage, **server))
    return ServerProcess(config, data_dir, free_port(), tmp / "server.log", env=dict(env or {}))


def make_keyed_server(tmp: Path) -> ServerProcess:
    """A started server that needs API_KEY (ENERGYMON_API_KEY set); it waits for its first
    readings with the key, and its `client()` sends none."""
    server = make_server(tmp, env={"ENERGYMON_API_KEY": API_KEY})
    server.headers = {"X-API-Key": API_KEY}
    server.start()
    return server
