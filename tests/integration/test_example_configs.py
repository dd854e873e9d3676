"""config/examples/: one configuration per chip, each valid and running on simulated hardware."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from energymon.bootstrap import build_sensors
from energymon.cli import main
from energymon.domain.model import Reading
from energymon.drivers import registry
from energymon.drivers.profiles import analytic_energy_wh, make_profile
from energymon.service.clock import ManualClock
from energymon.service.sampler import BusSampler
from energymon.settings import load_settings, settings_from_mapping

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"
CHIPS = ("ina219", "ina226", "ina260", "ina3221", "ina228", "hwmon")


def test_there_is_one_example_per_chip_driver() -> None:
    """Every built-in chip driver has its example, named after it."""
    assert sorted(path.stem for path in EXAMPLES.glob("*.toml")) == sorted(CHIPS)
    assert set(CHIPS) <= set(registry.available())


@pytest.mark.parametrize("chip", CHIPS)
def test_check_config_accepts_the_example(chip: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`energymon check-config` validates it and shows the driver's options with defaults."""
    assert main(["check-config", "--config", str(EXAMPLES / f"{chip}.toml")]) == 0
    appliances = json.loads(capsys.readouterr().out)["appliances"]
    assert {appliance["driver"] for appliance in appliances} == {chip}
    assert all("invert" in appliance for appliance in appliances)


@pytest.mark.parametrize("chip", CHIPS)
def test_the_example_runs_the_real_driver_on_a_simulated_chip(chip: str) -> None:
    """Every appliance reads a fresh, plausible measurement from its simulated chip."""
    settings = load_settings(EXAMPLES / f"{chip}.toml")
    assert all(appliance.simulated for appliance in settings.appliances)
    clock = ManualClock()
    channels = [c for group in build_sensors(settings, clock=clock) for c in group.channels]
    for channel in channels:
        channel.sensor.configure()
    clock.advance(0.2)  # longer than any example's conversion time
    for channel in channels:
        m = channel.sensor.read()
        assert m.conversion_ready, channel.name
        assert 3.0 < m.bus_volts < 85.0, channel.name


def test_the_ina228_books_its_accumulators_energy_through_the_sampler() -> None:
    """A battery charging at 8 A, then discharging at 5 A: the net energy of the stored readings
    is the load's (counted by the chip's accumulator), and so are energy in and out, within
    0.5 %."""
    simulation = {"profile": "step", "volts": 51.2, "noise": 0.0, "period_seconds": 90.0}
    simulation["steps"] = [[0, 8.0], [40, -5.0]]
    appliance = {"id": 1, "name": "Battery", "driver": "ina228", "simulation": simulation}
    settings = settings_from_mapping({"appliances": [appliance]})
    clock = ManualClock()
    (group,) = build_sensors(settings, clock=clock)
    readings: list[Reading] = []
    sampler = BusSampler("sim-1", group.channels, period_seconds=0.05, clock=clock)
    sampler.connect(readings.append, lambda gap: None)
    sensor = group.channels[0].sensor
    for _ in range(2):  # configure, then the first finished conversion: the first sample
        clock.advance(0.05)
        sampler.sample_once()
    first_sample, first_count = clock.time(), sensor.energy.total_joules  # type: ignore[attr-defined]
    for _ in range(round(180 / 0.05)):  # two periods: charge, discharge, charge, discharge
        clock.advance(0.05)
        sampler.sample_once()
    sampler.stop()
    load = make_profile(simulation, "Battery", settings.appliances[0].options.load_limits())
    expected = analytic_energy_wh(load, first_sample, clock.time())
    assert expected == pytest.approx(2 * (40 * 8.0 - 50 * 5.0) * 51.2 / 3600, rel=0.05)
    booked = sum(r.energy_wh for r in readings)
    assert booked == pytest.approx(expected, rel=5e-3)
    chip_count = sensor.energy.total_joules - first_count  # type: ignore[attr-defined]
    assert booked == pytest.approx(chip_count / 3600, rel=1e-9)  # every segment from the chip
    in_wh, out_wh = load.energy_in_out_wh(first_sample, clock.time())
    assert sum(r.in_wh for r in readings) == pytest.approx(in_wh, rel=5e-3)  # charging
    assert sum(r.out_wh for r in readings) == pytest.approx(out_wh, rel=5e-3)  # discharging
