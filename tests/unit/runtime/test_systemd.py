"""sd_notify by hand: datagrams to NOTIFY_SOCKET, and a watchdog that only pings when healthy."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from energymon.runtime.systemd import Notifier, notify, watchdog_interval_seconds


def test_notify_without_systemd_does_nothing() -> None:
    """No NOTIFY_SOCKET: nothing is sent and the caller learns it."""
    assert notify("READY=1", {}) is False


def test_notify_reaches_an_notify_socket(notify_socket: tuple[str, socket.socket]) -> None:
    """'@name' addresses the abstract namespace."""
    address, sock = notify_socket
    assert notify("READY=1", {"NOTIFY_SOCKET": address}) is True
    assert sock.recv(100) == b"READY=1"


def test_notify_reaches_a_path_socket(tmp_path: Path) -> None:
    """A file-system path works too."""
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(5.0)
        assert notify("STOPPING=1", {"NOTIFY_SOCKET": str(path)}) is True
        assert sock.recv(100) == b"STOPPING=1"


def test_notify_to_a_dead_socket_is_reported_not_raised(tmp_path: Path) -> None:
    """A socket that is gone is a warning, never a crash of the service."""
    assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False


@pytest.mark.parametrize(
    ("environ", "interval"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval_is_half_the_timeout_for_us(
    environ: dict[str, str], interval: float | None
) -> None:
    """Ping at half of WatchdogSec, and only when the watchdog is meant for this process."""
    assert watchdog_interval_seconds(environ) == interval


def test_watchdog_is_pinged_only_after_health_returns(
    notify_socket: tuple[str, socket.socket],
) -> None:
    """READY once ready; no WATCHDOG while unhealthy; WATCHDOG once healthy; STOPPING at stop."""
    address, sock = notify_socket
    answers = iter([False, False, False])
    checks: list[bool] = []
    lock = threading.Lock()

    def healthy() -> bool:
        with lock:
            checks.append(next(answers, True))
            return checks[-1]

    notifier = Notifier(
        ready=lambda: True,
        healthy=healthy,
        environ={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "20000"},
    )
    notifier.start()
    try:
        assert sock.recv(100).startswith(b"READY=1")
        assert sock.recv(100) == b"WATCHDOG=1"
        with lock:
            assert checks[:4] == [False, False, False, True]
    finally:
        notifier.stop()
    messages = []
    while (message := sock.recv(100)) != b"STOPPING=1":
        messages.append(message)
    assert set(messages) <= {b"WATCHDOG=1"}
