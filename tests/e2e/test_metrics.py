"""/metrics: Prometheus exposition that parses and passes `promtool check metrics`."""

from __future__ import annotations

import shutil
import subprocess

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.system import require

APPLIANCE_SERIES = {
    "energymon_power_watts",
    "energymon_bus_volts",
    "energymon_current_amps",
    "energymon_energy_joules",
    "energymon_sensor_errors",
    "energymon_sensor_up",
}


@pytest.fixture
def exposition(http: httpx.Client) -> str:
    """The text the server exposes to Prometheus."""
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_metrics_parse_with_appliance_labels(exposition: str) -> None:
    """Every appliance has power, volts, amps, energy, errors and up, labelled id and name."""
    families = {f.name: f for f in text_string_to_metric_families(exposition)}
    assert set(families) >= APPLIANCE_SERIES
    for name in APPLIANCE_SERIES:
        labels = {(s.labels["appliance_id"], s.labels["appliance"]) for s in families[name].samples}
        assert labels == {("1", "Refrigerator"), ("2", "Air Conditioner"), ("3", "Water Heater")}
    energy = families["energymon_energy_joules"]
    assert energy.type == "counter"
    assert {s.name for s in energy.samples} == {"energymon_energy_joules_total"}
    joules = {s.labels["appliance_id"]: s.value for s in energy.samples}
    assert joules["1"] > 0  # the refrigerator's controller draws power even between cycles
    assert joules["3"] >= 0  # the water heater may be between heating cycles
    assert {s.value for s in families["energymon_sensor_up"].samples} == {1.0}
    for name in (
        "energymon_sampler_lag_seconds",
        "energymon_sampler_missed_periods",
        "energymon_storage_pending_readings",
        "energymon_storage_dropped_readings",
    ):
        assert name in families, name


def test_energy_counter_never_decreases(http: httpx.Client) -> None:
    """Two scrapes in a row: lifetime energy is the same or more."""

    def joules() -> dict[str, float]:
        families = text_string_to_metric_families(http.get("/metrics").text)
        energy = next(f for f in families if f.name == "energymon_energy_joules")
        return {s.labels["appliance_id"]: s.value for s in energy.samples}

    first, second = joules(), joules()
    assert all(second[key] >= value for key, value in first.items())


def test_metrics_pass_promtool(exposition: str) -> None:
    """`promtool check metrics` finds no problem (needs promtool, from Debian's prometheus)."""
    promtool = require(shutil.which("promtool"), "prometheus")
    result = subprocess.run(
        [promtool, "check", "metrics"],
        input=exposition,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
