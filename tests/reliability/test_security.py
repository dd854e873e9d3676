"""R6: with a key, every route but /health refuses without it; the key never leaks; logs take no
path; CORS answers configured origins only. (The systemd unit's hardening, every option of it,
is tests/e2e/test_deployment.py's.)

Routes are enumerated from the app itself, so a route added later is covered without touching
this file. tests/e2e/test_api_key.py checks a fixed list against the real server; this file
adds the enumeration, generated wrong keys, and every response and log searched for the key.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.responses import StreamingResponse
from starlette.routing import Route

from energymon.bootstrap import build_service
from energymon.settings import settings_from_mapping
from tests.e2e.support import ALLOWED_ORIGIN, APPLIANCES, ENERGYMON, config_mapping, wait_until
from tests.reliability.support import PipedServer, make_piped_server

API_KEY = "r6-" + uuid.uuid4().hex
STREAM_PATHS = {"/energy/stream"}
PUBLIC = {"/health"}  # liveness must be checkable without the key
# The API documentation and the pages stay open by design (web/site.py): they hold no data,
# and the sign-in page must be reachable to sign in.
DOCS = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/", "/sign-in", "/sign-out"}
LOOKALIKE_ORIGINS = [
    "http://allowed.example.evil.test",
    "http://evil.allowed.example",
    "https://allowed.example",
    "http://allowed.example:8080",
    "http://ALLOWED.example.evil",
    "null",
    "http://allowed.examplex",
    "",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The real app of a running monitor (simulated sensors), with a key and one CORS origin."""
    mapping = config_mapping(tmp_path_factory.mktemp("security") / "data") | {"api_key": API_KEY}
    keyed_settings = settings_from_mapping(mapping)
    service = build_service(keyed_settings, sse_keepalive_seconds=0.2)
    service.monitor.runner.start()
    try:
        yield service.app
    finally:
        service.monitor.runner.stop()


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    """An in-process client of the keyed app, once every appliance has a reading."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        wait_until(
            lambda: all(
                test_client.get(
                    "/energy", params={"applianceId": a["id"]}, headers={"X-API-Key": API_KEY}
                ).status_code
                == 200
                for a in APPLIANCES
            ),
            what="a reading of every appliance",
        )
        yield test_client


def _routes(app: FastAPI) -> list[tuple[str, str, bool]]:
    """(method, path with its parameters filled in, whether it streams) of every route: those
    the OpenAPI document lists, and those added to the app itself (docs, the root redirect)."""
    found = set()
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            streams = "text/event-stream" in operation["responses"].get("200", {}).get(
                "content", {}
            )
            found.add((method.upper(), re.sub(r"\{[^}]+\}", "1", path), streams))
    for route in app.routes:
        if isinstance(route, Route):
            streams = isinstance(route, APIRoute) and route.response_class is StreamingResponse
            for method in (route.methods or set()) - {"HEAD"}:
                found.add((method, re.sub(r"\{[^}]+\}", "1", route.path), streams))
    return sorted(found)


def _protected(app: FastAPI) -> list[tuple[str, str, bool]]:
    routes = [r for r in _routes(app) if r[1] not in PUBLIC | DOCS]
    assert {path for _, path, _ in routes} >= {"/energy", "/metrics", "/logs/download/api"}
    return routes


def test_every_route_but_health_and_docs_refuses_a_request_without_the_key(
    app: FastAPI, client: TestClient
) -> None:
    """Each route the app has answers 401 with a JSON detail when no key is sent."""
    refused = {}
    for method, path, _ in _protected(app):
        response = client.request(method, path)
        refused[(method, path)] = (response.status_code, response.json().get("detail", ""))
    assert {k: v for k, v in refused.items() if v[0] != 401 or "API key" not in v[1]} == {}
    assert client.get("/health").status_code == 200


def test_every_protected_route_serves_the_right_key(app: FastAPI, client: TestClient) -> None:
    """The same routes answer 200 to the key, in X-API-Key or as a bearer token."""
    for method, path, streams in _protected(app):
        if streams:
            continue  # endless with the key: tests/reliability/test_bad_input.py reads it bounded
        for headers in ({"X-API-Key": API_KEY}, {"Authorization": f"Bearer {API_KEY}"}):
            assert client.request(method, path, headers=headers).status_code == 200, path


_KEYLIKE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF), max_size=300)
WRONG_KEYS = st.one_of(
    _KEYLIKE,
    st.builds(lambda n, tail: API_KEY[:n] + tail, st.integers(0, len(API_KEY)), _KEYLIKE),
    st.builds(lambda n: API_KEY[:n], st.integers(0, len(API_KEY) - 1)),
    st.builds(lambda tail: API_KEY + tail, _KEYLIKE.filter(bool)),
)


@given(wrong=WRONG_KEYS.filter(lambda key: key != API_KEY))
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_wrong_keys_of_any_length_are_refused(client: TestClient, wrong: str) -> None:
    """Shorter, longer, same-length, prefix and non-ASCII keys are all 401, in either header."""
    raw = wrong.encode("latin-1")
    for headers in ({"X-API-Key": raw}, {"Authorization": b"Bearer " + raw}):
        response = client.get("/appliances", headers=headers)
        assert response.status_code == 401, (wrong, headers)
        assert API_KEY not in response.text


def test_log_downloads_take_no_path_input(app: FastAPI) -> None:
    """The download routes declare no parameter and no path template: nothing names a file."""
    downloads = {
        path: operation
        for path, item in app.openapi()["paths"].items()
        if "download" in path
        for operation in item.values()
    }
    assert set(downloads) == {"/logs/download/energy-monitor", "/logs/download/api"}
    assert {path: op.get("parameters", []) for path, op in downloads.items()} == {
        path: [] for path in downloads
    }
    assert all("{" not in path for path in downloads)


@pytest.mark.parametrize(
    "query",
    [{"file": "/etc/passwd"}, {"path": "../../energymon.db"}, {"name": "../energymon.db"}],
)
def test_log_downloads_ignore_file_names_sent_anyway(
    client: TestClient, query: dict[str, str]
) -> None:
    """A file name smuggled into the query changes nothing: the logs come, nothing else."""
    headers = {"X-API-Key": API_KEY}
    csv = client.get("/logs/download/energy-monitor", params=query, headers=headers)
    assert csv.status_code == 200
    assert csv.content.startswith(b"timestamp,watts,appliance_id\n")
    access = client.get("/logs/download/api", params=query, headers=headers)
    assert access.status_code == 200
    for body in (csv.content, access.content):
        assert b"root:" not in body
        assert b"SQLite format 3" not in body


@pytest.mark.parametrize("origin", LOOKALIKE_ORIGINS)
def test_cors_answers_no_origin_but_the_configured_one(
    app: FastAPI, client: TestClient, origin: str
) -> None:
    """For every route, preflights and requests from look-alike origins get no allow header;
    the configured origin gets exactly itself, never `*` and never credentials."""
    for _, path, streams in _protected(app):
        preflight = {"Origin": origin, "Access-Control-Request-Method": "GET"}
        refused = client.options(path, headers=preflight)
        assert "access-control-allow-origin" not in refused.headers, (path, origin)
        if not streams:
            plain = client.get(path, headers={"Origin": origin, "X-API-Key": API_KEY})
            assert "access-control-allow-origin" not in plain.headers, (path, origin)
        allowed = client.options(path, headers=preflight | {"Origin": ALLOWED_ORIGIN})
        assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert "access-control-allow-credentials" not in allowed.headers


def test_cors_preflights_allow_reading_only(app: FastAPI, client: TestClient) -> None:
    """A preflight for a method that changes something is refused, even from the origin."""
    for _, path, _ in _protected(app):
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            preflight = {"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": method}
            assert client.options(path, headers=preflight).status_code == 400, (path, method)


@pytest.fixture(scope="module")
def key_file_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipedServer]:
    """A real server whose key comes from server.api_key_file."""
    tmp = tmp_path_factory.mktemp("key-file")
    key_file = tmp / "api_key"
    key_file.write_text(API_KEY + "\n", encoding="utf-8")
    server = make_piped_server(tmp, api_key_file=str(key_file))
    server.headers = {"X-API-Key": API_KEY}
    server.start()
    yield server
    server.kill()


@dataclass(frozen=True)
class Answer:
    """One response as the client saw it."""

    request: str
    status: int
    text: str  # for the endless stream: its first lines
    headers: dict[str, str]


def _stream_start(client: httpx.Client, path: str, **kwargs: Any) -> Answer:
    with client.stream("GET", path, **kwargs) as stream:
        lines = []
        for line in stream.iter_lines():
            lines.append(line)
            if stream.status_code != 200 or line.startswith("data: "):
                break
        return Answer(f"GET {path}", stream.status_code, "\n".join(lines), dict(stream.headers))


def _exchange_everything(server: PipedServer, paths: list[str]) -> list[Answer]:
    """Every path with the key in each place a client may put it, and with near-miss keys."""
    answers = []
    attempts: list[tuple[dict[str, str], dict[str, str]]] = [
        ({"X-API-Key": API_KEY}, {}),
        ({"Authorization": f"Bearer {API_KEY}"}, {}),
        ({}, {"api_key": API_KEY}),
        ({"X-API-Key": API_KEY[:-1]}, {}),
        ({"X-API-Key": API_KEY + "x"}, {"token": API_KEY[1:]}),
    ]
    with server.client() as client:
        for path in paths:
            for headers, params in attempts:
                if path in STREAM_PATHS:
                    answers.append(_stream_start(client, path, headers=headers, params=params))
                    continue
                response = client.get(path, headers=headers, params=params)
                answers.append(
                    Answer(
                        f"GET {path}", response.status_code, response.text, dict(response.headers)
                    )
                )
        for method in ("POST", "DELETE"):
            response = client.request(method, "/energy", headers={"X-API-Key": API_KEY})
            answers.append(Answer(f"{method} /energy", response.status_code, response.text, {}))
    return answers


def test_the_key_appears_in_no_response_and_no_log(key_file_server: PipedServer) -> None:
    """After every route was called with the key (and near misses) in headers and query, no
    response, access log, CSV log, service output or check-config output holds it."""
    server = key_file_server
    with server.client() as client:
        paths = [*client.get("/openapi.json").json()["paths"], "/docs", "/nope"]
    answers = _exchange_everything(server, paths)
    assert {a.status for a in answers} >= {200, 401, 404, 405}
    leaks = [a.request for a in answers if API_KEY in a.text + repr(a.headers)]
    assert leaks == []
    access_log = server.data_dir / "logs" / "api_access.log"
    wait_until(lambda: access_log.exists() and "/nope" in access_log.read_text(), what="logs")
    assert server.stop() == 0
    server.wait_output_closed()
    written = {
        path.name: path.read_text(errors="replace")
        for path in server.data_dir.rglob("*")
        if path.is_file() and not path.name.startswith("energymon.db")
    }
    written["service output"] = server.full_output()
    check = subprocess.run(
        [str(ENERGYMON), "check-config", "--config", str(server.config_path)],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    written["check-config"] = check.stdout + check.stderr
    assert [name for name, text in written.items() if API_KEY in text] == []
    assert "api_key=***" in written["api_access.log"]
