"""A real Mosquitto for the tests: config written here, a free loopback port, ended by PID.

`Broker` runs `mosquitto -c <its config>` (plain, with a password file made by
`mosquitto_passwd -b`, or TLS from certificates `make_certificates` generates with the
`openssl` command); `Listener` is a paho subscriber that records what arrives and waits for
messages with a deadline, never a sleep. The benchmarks (bench/p10_mqtt.py) run their broker
with `Broker` too, so it raises plain errors; only the fixtures skip or fail the test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.system import require

__all__ = [
    "Broker",
    "BrokerError",
    "Certificates",
    "Listener",
    "Received",
    "make_certificates",
    "require_mosquitto",
]

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 10.0


# Debian installs the broker in /usr/sbin, which a normal user's PATH may lack.
_SBIN = "/usr/sbin:/sbin"


def mosquitto_binary(name: str = "mosquitto") -> str | None:
    """Where Debian's `mosquitto` (or `mosquitto_passwd`) is, if installed."""
    return shutil.which(name) or shutil.which(name, path=_SBIN)


def require_mosquitto() -> str:
    """The mosquitto binary, or skip (fail under CI) with the apt-get line."""
    return require(mosquitto_binary(), "mosquitto")


class BrokerError(RuntimeError):
    """mosquitto is missing, would not start, or did not listen in time."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Certificates:
    """A CA and a server certificate it signed for 127.0.0.1 and localhost."""

    ca_file: Path
    server_cert: Path
    server_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(folder: Path, name: str = "test") -> Certificates:
    """A fresh CA and a server certificate (EC P-256, a day long) under `folder`."""
    require(shutil.which("openssl"), "openssl")
    folder.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
             "-subj", f"/CN={name} test CA", cwd=folder)  # fmt: skip
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost", cwd=folder)  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext",
             cwd=folder)  # fmt: skip
    return Certificates(folder / "ca.crt", folder / "server.crt", folder / "server.key")


@dataclass
class Broker:
    """One mosquitto process on a loopback port; `stop` and `start` again keep the port."""

    folder: Path
    port: int = field(default_factory=_free_port)
    users: dict[str, str] = field(default_factory=dict)  # non-empty: no anonymous clients
    tls: Certificates | None = None
    persistence: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        """mosquitto's own log."""
        return self.folder / "mosquitto.log"

    def write_config(self) -> Path:
        """mosquitto.conf for this broker (and its password file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = [
            f"listener {self.port} {HOST}",
            f"allow_anonymous {'false' if self.users else 'true'}",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "user root",  # run as root (CI): stay root, or the tmp files are unreadable
        ]
        if self.users:
            passwords = self.folder / "passwords"
            passwords.unlink(missing_ok=True)
            passwords.touch(mode=0o600)
            passwd = mosquitto_binary("mosquitto_passwd")
            if passwd is None:
                raise BrokerError("mosquitto_passwd not installed (Debian's mosquitto)")
            for user, password in self.users.items():
                subprocess.run([passwd, "-b", str(passwords), user, password], check=True)
            lines.append(f"password_file {passwords}")
        if self.tls is not None:
            lines += [
                f"cafile {self.tls.ca_file}",
                f"certfile {self.tls.server_cert}",
                f"keyfile {self.tls.server_key}",
            ]
        if self.persistence:
            # Sessions and queued messages survive a restart (saved on SIGTERM and each second).
            lines += [
                "persistence true",
                f"persistence_location {self.folder}/",
                "autosave_interval 1",
            ]
        config = self.folder / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n")
        return config

    def start(self) -> None:
        """Start mosquitto and wait until it accepts TCP connections."""
        binary = mosquitto_binary()
        if binary is None:
            raise BrokerError("mosquitto not installed: sudo apt-get install mosquitto")
        config = self.write_config()
        with (self.folder / "stdout.log").open("ab") as out:
            self.process = subprocess.Popen([binary, "-c", str(config)], stdout=out, stderr=out)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerError(f"mosquitto exited with {self.process.returncode}:\n{self.log()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)  # polling a port that is not open yet, with a deadline
        self.stop(signal.SIGKILL)
        raise BrokerError(
            f"mosquitto not listening within {START_TIMEOUT_SECONDS} s:\n{self.log()}"
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """End our mosquitto by its PID and wait for it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        """What mosquitto logged."""
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def mqtt_settings(self, **overrides: Any) -> dict[str, Any]:
        """energymon's `[mqtt]` table for this broker."""
        settings: dict[str, Any] = {"enabled": True, "host": HOST, "port": self.port}
        return settings | overrides


@dataclass(frozen=True)
class Received:
    """One message a Listener got."""

    topic: str
    payload: bytes
    retain: bool
    at: float  # time.monotonic() on arrival

    def json(self) -> Any:
        """The payload as JSON."""
        return json.loads(self.payload)


class Listener:
    """A paho subscriber on its own network thread; records every message it receives."""

    def __init__(
        self,
        broker: Broker,
        topics: list[str],
        *,
        client_id: str = "",
        persistent: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.topics = topics
        self.messages: list[Received] = []
        self._changed = threading.Condition()
        self._connected = threading.Event()
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=not persistent,
        )
        if username is not None:
            client.username_pw_set(username, password)
        if broker.tls is not None:
            client.tls_set_context(ssl.create_default_context(cafile=str(broker.tls.ca_file)))
        client.reconnect_delay_set(1, 1)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        self.client = client
        client.connect(HOST, broker.port)
        client.loop_start()
        if not self._connected.wait(START_TIMEOUT_SECONDS):
            pytest.fail("test subscriber could not connect to mosquitto")

    def _on_connect(self, client: paho.Client, *args: Any) -> None:
        for topic in self.topics:
            client.subscribe(topic, qos=1)
        self._connected.set()

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        with self._changed:
            self.messages.append(
                Received(message.topic, bytes(message.payload), message.retain, time.monotonic())
            )
            self._changed.notify_all()

    def wait_for(
        self, condition: Callable[[list[Received]], bool], timeout: float, what: str
    ) -> list[Received]:
        """Wait until `condition(messages)` holds; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self.messages):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    topics = sorted({m.topic for m in self.messages})
                    pytest.fail(f"timed out after {timeout} s waiting for {what}; topics: {topics}")
                self._changed.wait(remaining)
            return list(self.messages)

    def on(self, topic: str) -> list[Received]:
        """The messages received so far on `topic`."""
        with self._changed:
            return [m for m in self.messages if m.topic == topic]

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish as this client (QoS 1) and wait until the broker has it."""
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """Start brokers under tmp_path; every one is ended by PID after the test."""
    started: list[Broker] = []

    def start(name: str = "broker", **options: Any) -> Broker:
        require_mosquitto()
        broker = Broker(tmp_path / name, **options)
        broker.start()
        started.append(broker)
        return broker

    yield start
    for broker in started:
        broker.stop(signal.SIGKILL)
