"""The pages through the real app in-process: `/`, HEAD, sign-in and its cookie, sign-out,
and the cookie standing in for the key on the API, the stream and the downloads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from energymon.api.session import COOKIE_NAME
from energymon.bootstrap import build_service
from energymon.settings import settings_from_mapping
from tests.e2e.fakes import real_driver_settings, running_app
from tests.e2e.support import config_mapping, wait_until

KEY = "page-test-key"


@contextmanager
def keyed_client(tmp_path: Path, base_url: str = "http://testserver") -> Iterator[TestClient]:
    """A client (sending no key) of the app with an API key, once it has a reading."""
    settings = settings_from_mapping(config_mapping(tmp_path / "data") | {"api_key": KEY})
    service = build_service(settings, csv_log=False, sse_keepalive_seconds=0.2)
    service.monitor.runner.start()
    try:
        with TestClient(service.app, base_url=base_url) as client:
            wait_until(
                lambda: client.get("/energy", headers={"X-API-Key": KEY}).status_code == 200,
                what="a first reading",
            )
            yield client
    finally:
        service.monitor.runner.stop()


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[TestClient]:
    """A client of the app with an API key, on simulated sensors."""
    with keyed_client(tmp_path) as client:
        yield client


def _sign_in(client: TestClient, key: str) -> object:
    return client.post("/sign-in", data={"key": key}, follow_redirects=False)


def test_open_dashboard_answers_get_and_head(tmp_path: Path) -> None:
    """Without a key `/` is the dashboard (GET and HEAD), with a strict content policy and
    no sign-out button; /sign-in leads back to it."""
    with running_app(real_driver_settings(tmp_path)) as app:
        page = app.client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert 'id="cards"' in page.text
        assert "Sign out" not in page.text
        assert app.client.head("/").status_code == 200
        assert app.client.get("/sign-in", follow_redirects=False).headers["location"] == "/"


def test_static_files_are_served_from_the_package(tmp_path: Path) -> None:
    """The page's scripts, uPlot and the docs' bundles come from energymon, gzipped."""
    with running_app(real_driver_settings(tmp_path)) as app:
        for path in (
            "/static/js/app.js",
            "/static/vendor/uplot/uPlot.iife.min.js",
            "/static/vendor/swagger-ui/swagger-ui-bundle.js",
            "/static/vendor/redoc/redoc.standalone.js",
        ):
            response = app.client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-encoding"] == "gzip", path
        assert app.client.get("/static/../settings.py").status_code == 404
        docs = app.client.get("/docs").text
        assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
        assert "cdn" not in docs.lower()
        assert "fonts.googleapis" not in app.client.get("/redoc").text


def test_with_a_key_the_page_asks_to_sign_in(keyed: TestClient) -> None:
    """`/` redirects a browser without a session to /sign-in; the form posts the key."""
    client = keyed
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    assert client.head("/", follow_redirects=False).status_code == 303
    form = client.get("/sign-in")
    assert form.status_code == 200
    assert 'method="post" action="/sign-in"' in form.text
    assert KEY not in form.text


def test_wrong_key_is_401_and_the_right_key_sets_a_session(keyed: TestClient) -> None:
    """A wrong key re-shows the form saying so; the right one redirects to `/` with an
    HttpOnly, SameSite=Strict cookie that opens the page, the API, the stream and downloads."""
    client = keyed
    wrong = _sign_in(client, "nope")
    assert wrong.status_code == 401  # type: ignore[attr-defined]
    assert "Wrong key" in wrong.text  # type: ignore[attr-defined]
    assert "nope" not in wrong.text  # type: ignore[attr-defined]
    assert client.cookies.get(COOKIE_NAME) is None

    right = _sign_in(client, KEY)
    assert right.status_code == 303  # type: ignore[attr-defined]
    assert right.headers["location"] == "/"  # type: ignore[attr-defined]
    set_cookie = right.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "HttpOnly" in set_cookie
    assert "SameSite=Strict" in set_cookie
    assert "Secure" not in set_cookie  # plain HTTP
    assert KEY not in set_cookie
    assert "Sign out" in client.get("/").text
    assert client.get("/energy").status_code == 200
    assert client.get("/logs/download/energy-monitor").status_code == 200
    with client.stream("GET", "/energy/stream") as stream:
        assert stream.status_code == 200
        assert next(stream.iter_lines()).startswith("retry:")


def test_sign_out_clears_the_cookie(keyed: TestClient) -> None:
    """Sign-out answers with an expired cookie and the API refuses the browser again."""
    client = keyed
    _sign_in(client, KEY)
    response = client.post("/sign-out", follow_redirects=False)
    assert response.headers["location"] == "/sign-in"
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert client.get("/energy").status_code == 401


def test_cookie_is_secure_over_https(tmp_path: Path) -> None:
    """Served over HTTPS (here the scheme itself; behind a proxy uvicorn sets it from a
    trusted X-Forwarded-Proto), the session cookie is marked Secure."""
    with keyed_client(tmp_path, base_url="https://energymon.local") as client:
        response = client.post("/sign-in", data={"key": KEY}, follow_redirects=False)
        assert "Secure" in response.headers["set-cookie"].split("; ")


def test_repeated_wrong_keys_get_429_with_retry_after(keyed: TestClient) -> None:
    """The fifth wrong key in a minute answers 429 with Retry-After; so does the right key
    until the wait is over, and no cookie is set."""
    client = keyed
    statuses = [_sign_in(client, f"wrong-{n}").status_code for n in range(5)]  # type: ignore[attr-defined]
    assert statuses == [401, 401, 401, 401, 429]
    refused = _sign_in(client, KEY)
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert 1 <= int(refused.headers["retry-after"]) <= 60  # type: ignore[attr-defined]
    assert client.cookies.get(COOKIE_NAME) is None


def test_first_request_before_any_reading_says_no_reading_yet(tmp_path: Path) -> None:
    """Before a sensor's first reading /energy answers 503 "no reading yet" with Retry-After."""
    service = build_service(real_driver_settings(tmp_path), csv_log=False)  # not started
    with TestClient(service.app) as client:
        response = client.get("/energy", params={"applianceId": 1})
    assert response.status_code == 503
    assert "no reading yet" in response.json()["detail"]
    assert response.headers["retry-after"] == "1"


def test_dashboard_html_carries_the_live_snapshot_safely(tmp_path: Path) -> None:
    """The page holds each appliance and its latest reading as JSON, so values show before any
    request; a name with `</script>` in it cannot end the element (or start a script)."""
    mapping = config_mapping(tmp_path / "data")
    mapping["appliances"] = [dict(a) for a in mapping["appliances"]]
    mapping["appliances"][0]["name"] = "Fridge </script><script>alert(1)</script>"
    with running_app(settings_from_mapping(mapping)) as app:
        page = app.client.get("/").text
    assert "<script>alert(1)" not in page
    island = re.search(r'<script type="application/json" id="snapshot">(.*?)</script>', page)
    assert island is not None
    state = json.loads(island.group(1))
    assert [a["id"] for a in state["appliances"]] == [1, 2, 3]
    assert state["appliances"][0]["name"] == "Fridge </script><script>alert(1)</script>"
    assert {r["applianceId"] for r in state["readings"]} == {1, 2, 3}
    assert all(r["volts"] is not None and "timestamp_utc" in r for r in state["readings"])
    assert state["currency"] == "EUR"
