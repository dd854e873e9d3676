"""Fixtures for the HTTP API: one real `energymon serve` in a subprocess, shared, and its client.

The in-process app (`in_process`) is in tests/conftest.py: the reliability suite uses it too.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

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
