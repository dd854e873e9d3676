"""Errors are JSON with a fitting status, and CORS answers only the configured origins."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.support import ALLOWED_ORIGIN


@pytest.mark.parametrize(
    "path",
    [
        "/energy",
        "/energy/history",
        "/energy/summary",
        "/energy/stream",
        "/logs/historical-data",
    ],
)
def test_unknown_appliance_is_404_with_a_detail(http: httpx.Client, path: str) -> None:
    """An applianceId nobody configured gets 404 and names the id."""
    response = http.get(path, params={"applianceId": 99})
    assert response.status_code == 404
    assert response.json() == {"detail": "no appliance with id 99"}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/energy", {"applianceId": "abc"}),
        ("/energy/history", {"limit": 0}),
        ("/energy/history", {"limit": 10_001}),
        ("/logs/historical-data", {"days": 0}),
        ("/logs/historical-data", {"days": 3661}),
        ("/logs/historical-data", {"days": "week"}),
        ("/energy/summary", {"period": "year"}),
    ],
)
def test_malformed_query_is_422_with_a_detail(
    http: httpx.Client, path: str, params: dict[str, object]
) -> None:
    """A query value of the wrong type or out of range gets 422 naming the parameter."""
    response = http.get(path, params=params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"][-1] == next(iter(params))


def test_days_at_the_limits_are_accepted(http: httpx.Client) -> None:
    """days=1 and days=3660 are both valid."""
    assert http.get("/logs/historical-data", params={"days": 1}).status_code == 200
    assert http.get("/logs/historical-data", params={"days": 3660}).status_code == 200


def test_unknown_path_and_wrong_method_are_json(http: httpx.Client) -> None:
    """404 for an unknown path and 405 for POST are JSON with a detail, like every error."""
    missing = http.get("/no/such/path")
    wrong_method = http.post("/energy")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    assert (wrong_method.status_code, wrong_method.json()) == (
        405,
        {"detail": "Method Not Allowed"},
    )


def test_cors_allows_a_configured_origin(http: httpx.Client) -> None:
    """A listed origin gets the allow header on requests and on preflights."""
    response = http.get("/energy", headers={"Origin": ALLOWED_ORIGIN})
    preflight = http.options(
        "/energy",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "X-API-Key",
        },
    )
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()


def test_cors_denies_an_unlisted_origin(http: httpx.Client) -> None:
    """An origin not in server.cors_origins gets no allow header."""
    origin = "http://evil.example"
    response = http.get("/energy", headers={"Origin": origin})
    preflight = http.options(
        "/energy", headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 400
