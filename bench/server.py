"""`energymon serve` as a child process on loopback: config, readiness, RSS, disk writes, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.context import REPO_DIR
from bench.harness import appliances
from energymon.storage.sqlite import DB_FILENAME

__all__ = ["Server", "config_toml", "free_port", "start_server"]

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def config_toml(
    data_dir: Path,
    *,
    sampling: dict[str, Any] | None = None,
    storage: dict[str, Any] | None = None,
    appliance_count: int = 3,
) -> str:
    """The default configuration (three simulated appliances), in UTC, data in `data_dir`."""
    lines = ['timezone = "UTC"', "", "[server]", f'host = "{HOST}"', ""]
    lines += ["[sampling]", *(f"{k} = {_toml_value(v)}" for k, v in (sampling or {}).items())]
    lines += ["", "[storage]", f"data_dir = {_toml_value(str(data_dir))}"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in (storage or {}).items()]
    for appliance in appliances(appliance_count):
        lines += ["", "[[appliances]]"]
        simulation = appliance.pop("simulation")
        lines += [f"{k} = {_toml_value(v)}" for k, v in appliance.items()]
        lines += ["[appliances.simulation]", f"profile = {_toml_value(simulation['profile'])}"]
    return "\n".join(lines) + "\n"


def _energymon_command() -> list[str]:
    script = Path(sys.executable).with_name("energymon")
    return [str(script)] if script.exists() else [sys.executable, "-m", "energymon"]


@dataclass
class Server:
    """A running server: its process, port and folder."""

    process: subprocess.Popen[bytes]
    port: int
    folder: Path
    started_at: float  # perf_counter just before exec
    headers: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        """An absolute URL on this server."""
        return f"http://{HOST}:{self.port}{path}"

    def wait_first_reading(self, timeout_seconds: float = 30.0) -> float:
        """Poll /energy until it serves a reading; seconds since exec."""
        deadline = time.perf_counter() + timeout_seconds
        with httpx.Client(timeout=1.0, headers=self.headers) as client:
            while time.perf_counter() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited ({self.process.returncode}); see {self.log}")
                try:
                    if client.get(self.url("/energy")).status_code == 200:
                        return time.perf_counter() - self.started_at
                except httpx.TransportError:
                    pass
                time.sleep(0.01)
        raise RuntimeError(f"no reading served within {timeout_seconds} s; see {self.log}")

    @property
    def log(self) -> Path:
        """The server's stdout and stderr."""
        return self.folder / "server.log"

    @property
    def db_path(self) -> Path:
        """The server's database file."""
        return self.folder / "data" / DB_FILENAME

    def rss_bytes(self) -> int:
        """Resident set size now (VmRSS)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def write_bytes(self) -> int:
        """Bytes this process caused to be written to storage (/proc/<pid>/io write_bytes)."""
        for line in Path(f"/proc/{self.process.pid}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
        raise RuntimeError("no write_bytes")

    def stop(self, timeout_seconds: float = 30.0) -> int:
        """SIGTERM (the server flushes and exits); returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(
    folder: Path,
    *,
    sampling: dict[str, Any] | None = None,
    storage: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    command: list[str] | None = None,
    appliance_count: int = 3,
) -> Server:
    """Start `energymon serve` (or `command`) on a free port with data in `folder`/data.

    Args:
        command: the program to run instead of `energymon`; `serve --config F --port P` follow.
    """
    data_dir = folder / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    config = folder / "energymon.toml"
    config.write_text(
        config_toml(data_dir, sampling=sampling, storage=storage, appliance_count=appliance_count)
    )
    port = free_port()
    child_env = {**os.environ, **(env or {})}
    log = (folder / "server.log").open("wb")
    started_at = time.perf_counter()
    process = subprocess.Popen(
        [*(command or _energymon_command()), "serve", "--config", str(config), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO_DIR,
        env=child_env,
    )
    log.close()
    key = (env or {}).get("ENERGYMON_API_KEY")
    return Server(process, port, folder, started_at, {"X-API-Key": key} if key else {})
