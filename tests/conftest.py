"""Fixtures that more than one suite uses: systemd's side of the service, the app in-process,
a real server that needs an API key.

Fixtures of one suite live in that suite's conftest.py; helpers that are not fixtures live in
tests/support/ (tests/e2e/support.py and tests/reliability/support.py for the server suites).
"""

from __future__ import annotations

import configparser
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.fakes import InProcess, real_driver_settings, running_app
from tests.e2e.support import ServerProcess, make_keyed_server

SYSTEMD_UNIT = Path(__file__).resolve().parents[1] / "scripts" / "energy-monitor.service"


@pytest.fixture(scope="session")
def systemd_unit() -> configparser.ConfigParser:
    """scripts/energy-monitor.service, parsed (keys keep their case)."""
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(SYSTEMD_UNIT, encoding="utf-8")
    return parser


@pytest.fixture
def notify_socket() -> Iterator[tuple[str, socket.socket]]:
    """An abstract-namespace datagram socket standing in for systemd's NOTIFY_SOCKET, and its
    NOTIFY_SOCKET spelling ("@name")."""
    name = f"energymon-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(10.0)
    yield "@" + name, sock
    sock.close()


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server that needs tests.e2e.support.API_KEY, for the module's tests."""
    server = make_keyed_server(tmp_path_factory.mktemp("keyed"))
    yield server
    assert server.stop() == 0, server.output()


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[InProcess]:
    """A started monitor (SQLite under tmp_path, INA219 driver on three simulated chips),
    served in-process through TestClient."""
    with running_app(real_driver_settings(tmp_path)) as app:
        yield app
