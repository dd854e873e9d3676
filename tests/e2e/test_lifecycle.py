"""The service's life: systemd notifications, a clean SIGTERM, history kept across restarts."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.e2e.support import make_server, wait_until


def _receive_until(sock: socket.socket, wanted: str) -> list[str]:
    """Datagrams up to and including the first that contains `wanted` (socket timeout bounds)."""
    messages = []
    while True:
        messages.append(sock.recv(4096).decode())
        if wanted in messages[-1]:
            return messages


def test_systemd_hears_ready_watchdog_pings_and_stopping(
    tmp_path: Path, notify_socket: tuple[str, socket.socket]
) -> None:
    """Under Type=notify the service says READY=1, pings WATCHDOG=1 and says STOPPING=1."""
    address, sock = notify_socket
    server = make_server(tmp_path, env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "200000"})
    server.start()
    try:
        before_ready = _receive_until(sock, "READY=1")
        _receive_until(sock, "WATCHDOG=1")
    finally:
        assert server.stop() == 0, server.output()
    assert not any("WATCHDOG" in message for message in before_ready)
    assert "STOPPING=1" in _receive_until(sock, "STOPPING=1")[-1]


def test_sigterm_flushes_storage_and_a_restart_keeps_history(tmp_path: Path) -> None:
    """Readings only in memory at SIGTERM are on disk afterwards, and served after a restart."""
    # No periodic flush during the test: only the shutdown flush can have saved the readings.
    server = make_server(tmp_path, storage={"flush_interval_seconds": 3600})
    server.start()
    try:
        with server.client() as client:

            def history() -> list[dict[str, object]]:
                return list(client.get("/energy/history", params={"limit": 10}).json()["data"])

            wait_until(lambda: len(history()) == 10, what="10 readings")
            before = history()
            assert client.get("/health").json()["storage"]["last_flush"] is None
    finally:
        assert server.stop() == 0, server.output()
    assert "storage flushed" in server.output()

    server.start()
    try:
        with server.client() as client:
            after = client.get("/energy/history", params={"limit": 10_000}).json()["data"]
    finally:
        assert server.stop() == 0, server.output()
    kept = {(r["applianceId"], r["timestamp_utc"]) for r in after}
    assert len(before) == 10
    assert {(r["applianceId"], r["timestamp_utc"]) for r in before} <= kept
