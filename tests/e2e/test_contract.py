"""The seed's HTTP contract, checked against the real server: paths, query names, JSON keys."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.support import APPLIANCES, ZONE, ServerProcess, wait_until

SEED_READING_KEYS = ["timestamp", "watts", "applianceId"]
SEED_DAY_KEYS = ["date", "avg_watts", "max_watts", "min_watts", "total_readings"]
ACCESS_LINE = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} - INFO - (GET|POST|OPTIONS) \S+ - \d{3} \d+\.\dms$"
)


def _assert_seed_timestamp(item: dict[str, object]) -> None:
    """`timestamp` is the seed's naive local time; `timestamp_utc` the same instant."""
    local = dt.datetime.fromisoformat(str(item["timestamp"]))
    utc = dt.datetime.fromisoformat(str(item["timestamp_utc"]))
    assert local.tzinfo is None
    assert utc.utcoffset() == dt.timedelta(0)
    assert utc.astimezone(ZoneInfo(ZONE)).replace(tzinfo=None) == local


def test_energy_answers_in_the_seed_shape_with_added_fields(http: httpx.Client) -> None:
    """GET /energy?applianceId=2 starts with the seed's keys and adds volts, amps and status."""
    body = http.get("/energy", params={"applianceId": 2}).json()
    assert list(body)[:3] == SEED_READING_KEYS
    assert {"volts", "amps", "status"} <= set(body)
    assert body["applianceId"] == 2
    assert body["status"] == "ok"
    assert isinstance(body["watts"], float)
    _assert_seed_timestamp(body)


def test_energy_without_appliance_id_is_the_first_configured(http: httpx.Client) -> None:
    """GET /energy without applianceId answers for the first appliance, as the seed did."""
    assert http.get("/energy").json()["applianceId"] == APPLIANCES[0]["id"]


def test_history_returns_the_last_readings_oldest_first(http: httpx.Client) -> None:
    """GET /energy/history gives 24 readings by default, oldest first; limit changes the count."""
    wait_until(lambda: len(http.get("/energy/history").json()["data"]) == 24, what="24 readings")
    data = http.get("/energy/history", params={"applianceId": 1}).json()["data"]
    assert all(list(item)[:3] == SEED_READING_KEYS for item in data)
    assert {item["applianceId"] for item in data} == {1}
    stamps = [dt.datetime.fromisoformat(item["timestamp_utc"]) for item in data]
    assert stamps == sorted(stamps)
    _assert_seed_timestamp(data[0])
    assert len(http.get("/energy/history", params={"limit": 5}).json()["data"]) == 5


def test_historical_data_has_data_and_daily_stats(http: httpx.Client) -> None:
    """GET /logs/historical-data?days=7 has readings and per-day stats with the seed's keys."""
    body = http.get("/logs/historical-data", params={"days": 7}).json()
    assert list(body) == ["data", "daily_stats"]
    assert {item["applianceId"] for item in body["data"]} == {1, 2, 3}
    today = body["daily_stats"][-1]
    assert list(today)[:5] == SEED_DAY_KEYS
    assert {"energy_wh", "cost", "covered_seconds"} <= set(today)
    assert today["date"] == dt.datetime.now(ZoneInfo(ZONE)).date().isoformat()
    assert today["total_readings"] > 0
    assert today["min_watts"] <= today["avg_watts"] <= today["max_watts"]


def test_historical_data_filters_by_appliance(http: httpx.Client) -> None:
    """applianceId narrows historical data to one appliance."""
    body = http.get("/logs/historical-data", params={"days": 1, "applianceId": 3}).json()
    assert {item["applianceId"] for item in body["data"]} == {3}


def test_appliances_lists_the_configuration_with_sensor_details(http: httpx.Client) -> None:
    """GET /appliances has the seed's id and name plus address, driver, bus and status."""
    appliances = http.get("/appliances").json()["appliances"]
    assert [(a["id"], a["name"]) for a in appliances] == [(a["id"], a["name"]) for a in APPLIANCES]
    assert [a["address"] for a in appliances] == ["0x40", "0x41", "0x44"]
    assert {a["driver"] for a in appliances} == {"simulated"}
    assert {a["bus"] for a in appliances} == {1}
    assert {a["status"] for a in appliances} == {"ok"}


def test_summary_reports_energy_and_cost_of_the_period(http: httpx.Client) -> None:
    """GET /energy/summary gives kWh and cost so far in the current week."""
    body = http.get("/energy/summary", params={"applianceId": 1, "period": "week"}).json()
    assert body["applianceId"] == 1
    assert body["period"] == "week"
    assert dt.date.fromisoformat(body["start"]).isoweekday() == 1
    assert body["energy_kwh"] > 0
    assert body["currency"] == "EUR"
    assert body["cost"] == pytest.approx(body["energy_kwh"] * 0.30, abs=1e-4)


def test_energy_log_downloads_as_csv_with_the_header_first(http: httpx.Client) -> None:
    """GET /logs/download/energy-monitor is a text/csv attachment in the seed's CSV format."""

    def body() -> httpx.Response:
        return http.get("/logs/download/energy-monitor")

    wait_until(lambda: len(body().text.splitlines()) > 3, what="CSV lines")
    response = body()
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment")
    lines = response.text.splitlines()
    assert lines[0] == "timestamp,watts,appliance_id"
    assert lines.count(lines[0]) == 1
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},-?\d+(\.\d+)?,[123]", lines[1])


def test_access_log_downloads_in_the_seed_format(http: httpx.Client) -> None:
    """GET /logs/download/api holds earlier requests as `date - INFO - GET path - status ms`."""
    probe = uuid.uuid4().hex
    http.get("/energy", params={"applianceId": 1, "probe": probe})

    def probe_line() -> str | None:
        lines = http.get("/logs/download/api").text.splitlines()
        return next((line for line in lines if probe in line), None)

    wait_until(lambda: probe_line() is not None, what="the request in the access log")
    line = probe_line()
    assert line is not None
    assert ACCESS_LINE.match(line), line
    assert f" - INFO - GET /energy?applianceId=1&probe={probe} - 200 " in line
    response = http.get("/logs/download/api")
    assert response.headers["content-disposition"] == 'attachment; filename="api_access.log"'


def test_health_reports_each_sensor_sampler_and_storage(http: httpx.Client) -> None:
    """GET /health is 200 with every appliance's status, sample age and the last flush."""
    wait_until(lambda: http.get("/health").json()["storage"]["last_flush"] is not None)
    response = http.get("/health")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert [a["status"] for a in body["appliances"]] == ["ok", "ok", "ok"]
    assert all(a["last_sample_age_seconds"] < 5 for a in body["appliances"])
    assert body["samplers"][0]["stuck"] is False
    assert body["storage"]["last_error"] is None


def test_docs_and_openapi_are_served(http: httpx.Client) -> None:
    """/docs, /redoc and /openapi.json answer, and every route has a documented 200."""
    assert "swagger" in http.get("/docs").text.lower()
    assert http.get("/redoc").status_code == 200
    paths = http.get("/openapi.json").json()["paths"]
    expected = {
        "/energy": {"200", "401", "404", "422", "503"},
        "/energy/history": {"200", "401", "404", "422"},
        "/energy/summary": {"200", "401", "404", "422"},
        "/energy/stream": {"200", "401", "404", "422"},
        "/logs/historical-data": {"200", "401", "404", "422"},
        "/logs/download/energy-monitor": {"200", "401"},
        "/logs/download/api": {"200", "401"},
        "/appliances": {"200", "401"},
        "/health": {"200", "503"},
        "/metrics": {"200", "401"},
    }
    for path, codes in expected.items():
        responses = paths[path]["get"]["responses"]
        assert codes <= set(responses), path
        assert responses["200"]["content"], path


def test_gzip_compresses_large_bodies_only(server: ServerProcess) -> None:
    """Bodies over 1 kB are gzipped for clients that accept it; small ones are not."""
    with server.client(headers={"Accept-Encoding": "gzip"}) as client:
        large = client.get("/energy/history", params={"limit": 100})
        small = client.get("/energy")
    assert large.headers["content-encoding"] == "gzip"
    assert len(large.json()["data"]) > 10
    assert "content-encoding" not in small.headers


def test_stream_delivers_new_readings_as_server_sent_events(server: ServerProcess) -> None:
    """GET /energy/stream?applianceId=2 sends each new reading of that appliance, uncompressed."""
    connected = dt.datetime.now(dt.UTC)
    events = []
    with (
        server.client(headers={"Accept-Encoding": "gzip"}) as client,
        client.stream("GET", "/energy/stream", params={"applianceId": 2}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in response.headers
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line.removeprefix("data: ")))
                if len(events) == 2:
                    break
    assert {e["applianceId"] for e in events} == {2}
    newest = dt.datetime.fromisoformat(events[-1]["timestamp_utc"])
    assert newest >= connected - dt.timedelta(seconds=1)
    assert list(events[0])[:3] == SEED_READING_KEYS
