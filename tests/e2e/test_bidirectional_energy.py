"""A battery that charges and discharges, through the real sampler, store, API and /metrics."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from energymon.bootstrap import build_service
from energymon.drivers.profiles import make_profile
from energymon.service.clock import ManualClock
from energymon.settings import settings_from_mapping

ZONE = ZoneInfo("Europe/Berlin")
# From 23:00 to 01:00 local time: two days, each with two whole charge/discharge cycles.
START = dt.datetime(2026, 6, 1, 23, 0, tzinfo=ZONE).timestamp()
SPAN_SECONDS = 2 * 3600.0
MIDNIGHT = START + 3600.0
PERIOD = 0.1  # 10 Hz: the trapezoid rule misses < 0.01 % at each switch
BATTERY = {"profile": "battery", "offset_seconds": -START}  # charging from START on
BACKWARDS = {"profile": "constant", "amps": -1.0}  # a load behind a shunt wired the other way


def _settings(data_dir: Path) -> object:
    appliances = [
        {"id": 1, "name": "House battery", "address": 0x40, "simulation": BATTERY},
        {"id": 2, "name": "Pump", "address": 0x41, "simulation": BACKWARDS, "invert": True},
    ]
    return settings_from_mapping(
        {
            "timezone": "Europe/Berlin",
            "sampling": {"oversample_hz": 1 / PERIOD},
            "storage": {"data_dir": str(data_dir)},
            "appliances": [a | {"driver": "simulated"} for a in appliances],
        }
    )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """Two hours recorded on a hand-ticked clock; the app answering from what was stored."""
    settings = _settings(tmp_path_factory.mktemp("battery"))
    clock = ManualClock(START)
    service = build_service(settings, clock=clock)  # type: ignore[arg-type]
    runner = service.monitor.runner
    ticks_per_flush = round(settings.storage.flush_interval_seconds / PERIOD)  # type: ignore[attr-defined]
    for tick in range(round(SPAN_SECONDS / PERIOD) + 1):
        for sampler in runner.samplers:
            sampler.sample_once()
        if tick % ticks_per_flush == 0:
            runner.writer.flush()
        clock.advance(PERIOD)
    for sampler in runner.samplers:
        sampler.stop()
    runner.writer.flush()
    return TestClient(service.app)


def _analytic(
    simulation: dict[str, object], name: str, t0: float, t1: float
) -> tuple[float, float]:
    return make_profile(simulation, name).energy_in_out_wh(t0, t1)


def test_each_days_energy_in_and_out_match_the_load_within_half_a_percent(
    recorded: TestClient,
) -> None:
    """Daily stats over HTTP: the battery's in and out per local day equal the analytic
    values within 0.5 %, and the net is their difference."""
    body = recorded.get("/logs/historical-data", params={"days": 2, "applianceId": 1}).json()
    days = {day["date"]: day for day in body["daily_stats"]}
    assert sorted(days) == ["2026-06-01", "2026-06-02"]
    spans = [(START, MIDNIGHT), (MIDNIGHT, START + SPAN_SECONDS)]
    for date, (t0, t1) in zip(sorted(days), spans, strict=True):
        in_wh, out_wh = _analytic(BATTERY, "House battery", t0, t1)
        assert in_wh == pytest.approx(2 * 12.8 * 2.0 * 1200 / 3600)  # two cycles, noise-free
        assert days[date]["energy_in_wh"] == pytest.approx(in_wh, rel=5e-3)
        assert days[date]["energy_out_wh"] == pytest.approx(out_wh, rel=5e-3)
        net = days[date]["energy_in_wh"] - days[date]["energy_out_wh"]
        assert days[date]["energy_wh"] == pytest.approx(net, abs=2e-4)


def test_metrics_count_energy_in_and_out_apart_and_an_inverted_shunt_counts_in(
    recorded: TestClient,
) -> None:
    """/metrics: two counters per appliance, within 0.5 % of the load; `invert` turns the
    backwards-wired pump's negative current into energy in."""
    text = recorded.get("/metrics").text

    def counter(name: str, appliance_id: int) -> float:
        pattern = rf'^{name}_total{{[^}}]*appliance_id="{appliance_id}"[^}}]*}} (\S+)$'
        match = re.search(pattern, text, re.MULTILINE)
        assert match, f"{name} for appliance {appliance_id} not in /metrics"
        return float(match.group(1)) / 3600

    in_wh, out_wh = _analytic(BATTERY, "House battery", START, START + SPAN_SECONDS)
    assert counter("energymon_energy_joules", 1) == pytest.approx(in_wh, rel=5e-3)
    assert counter("energymon_energy_out_joules", 1) == pytest.approx(out_wh, rel=5e-3)
    pump_in, pump_out = _analytic(BACKWARDS, "Pump", START, START + SPAN_SECONDS)
    assert (pump_in, pump_out) == (0.0, pytest.approx(24.0))  # 1 A at 12 V for 2 h, negative
    assert counter("energymon_energy_joules", 2) == pytest.approx(pump_out, rel=5e-3)
    assert counter("energymon_energy_out_joules", 2) == 0.0


def test_the_summary_splits_todays_energy_into_in_and_out(recorded: TestClient) -> None:
    """/energy/summary?period=day: today's in, out and net in kWh."""
    summary = recorded.get("/energy/summary", params={"period": "day", "applianceId": 1}).json()
    in_wh, out_wh = _analytic(BATTERY, "House battery", MIDNIGHT, START + SPAN_SECONDS)
    assert summary["energy_in_kwh"] * 1000 == pytest.approx(in_wh, rel=5e-3)
    assert summary["energy_out_kwh"] * 1000 == pytest.approx(out_wh, rel=5e-3)
    assert summary["energy_kwh"] == pytest.approx(
        summary["energy_in_kwh"] - summary["energy_out_kwh"], abs=1e-6
    )
