"""Fixtures for the HTTP API: the real `energymon serve` in a subprocess, or an in-process app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.fakes import InProcess, real_driver_settings, running_app
from tests.e2e.support import ServerProcess, make_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server, open (no API key), shared by the read-only contract tests."""
    running = make_server(tmp_path_factory.mktemp("server"))
    running.start()
    yield running
    code = running.stop()
    assert code == 0, running.output()


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    """A client of the shared server."""
    with server.client() as client:
        yield client


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[InProcess]:
    """The app for a real monitor (SQLite under tmp_path, INA219 driver on a fake bus)."""
    with running_app(real_driver_settings(tmp_path)) as app:
        yield app
