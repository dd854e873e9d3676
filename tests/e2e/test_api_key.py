"""With an API key configured, every route but /health needs it, and it never reaches a log."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import API_KEY, ENERGYMON, ServerProcess, make_server, wait_until

PROTECTED = [
    "/energy",
    "/energy/history",
    "/energy/summary",
    "/logs/historical-data",
    "/logs/download/energy-monitor",
    "/logs/download/api",
    "/appliances",
    "/metrics",
]


@pytest.fixture
def anonymous(keyed_server: ServerProcess) -> Iterator[httpx.Client]:
    """A client that sends no key."""
    with keyed_server.client() as client:
        yield client


@pytest.mark.parametrize("path", PROTECTED)
def test_missing_key_is_401_json(anonymous: httpx.Client, path: str) -> None:
    """Without X-API-Key every data route answers 401 with a JSON detail."""
    response = anonymous.get(path)
    assert response.status_code == 401
    assert "API key" in response.json()["detail"]


@pytest.mark.parametrize("wrong", ["", "x", API_KEY[:-1], API_KEY + "x", API_KEY.upper(), "ü" * 40])
def test_wrong_key_of_any_length_is_401(anonymous: httpx.Client, wrong: str) -> None:
    """A wrong key, shorter, longer or the same length, is refused alike."""
    response = anonymous.get("/energy", headers={"X-API-Key": wrong.encode()})
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_right_key_is_accepted_in_the_header_or_as_bearer(anonymous: httpx.Client) -> None:
    """X-API-Key or `Authorization: Bearer` with the key gets the data."""
    assert anonymous.get("/energy", headers={"X-API-Key": API_KEY}).status_code == 200
    bearer = {"Authorization": f"Bearer {API_KEY}"}
    assert anonymous.get("/metrics", headers=bearer).status_code == 200


def test_health_and_docs_need_no_key(anonymous: httpx.Client) -> None:
    """/health stays open for liveness checks, the docs for browsers (they hold no data)."""
    assert anonymous.get("/health").status_code == 200
    assert anonymous.get("/docs").status_code == 200
    assert "/energy" in anonymous.get("/openapi.json").json()["paths"]


def test_key_never_reaches_the_access_log(
    keyed_server: ServerProcess, anonymous: httpx.Client
) -> None:
    """Neither the header nor an api_key query parameter is written to the access log."""
    probe = uuid.uuid4().hex
    anonymous.get("/energy", headers={"X-API-Key": API_KEY}, params={"probe": probe})
    anonymous.get("/appliances", params={"api_key": API_KEY, "probe": probe})
    log_file = keyed_server.data_dir / "logs" / "api_access.log"

    def logged() -> str:
        return log_file.read_text(encoding="utf-8") if log_file.exists() else ""

    wait_until(lambda: logged().count(probe) == 2, what="both probes in the access log")
    assert API_KEY not in logged()
    assert f"GET /appliances?api_key=***&probe={probe} - 401" in logged()
    assert API_KEY not in keyed_server.output()


def test_unreadable_key_file_is_one_line_config_error(tmp_path: Path) -> None:
    """server.api_key_file that cannot be read stops `serve` with a clear message, no traceback."""
    server = make_server(tmp_path, api_key_file=str(tmp_path / "missing-key"))
    result = subprocess.run(
        [str(ENERGYMON), "serve", "--config", str(server.config_path), "--port", str(server.port)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "api_key_file" in result.stderr
    assert "Traceback" not in result.stderr
