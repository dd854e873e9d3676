"""The monitor on simulated INA219 chips: faults take one appliance offline, and it recovers."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from energymon.bootstrap import build
from energymon.domain.model import ApplianceStatus
from energymon.drivers.fakebus import FakeBus, SimulatedINA219
from energymon.drivers.profiles import make_profile
from energymon.service.clock import ManualClock
from energymon.service.errors import SensorOffline
from energymon.service.monitor import Monitor
from energymon.settings import settings_from_mapping
from energymon.storage.memory import MemoryStore

PERIOD = 0.0625  # 16 Hz, exact in binary
LOADS = {1: (0x40, 1.0), 2: (0x41, 2.0), 3: (0x44, 0.5)}  # id: (address, amps at 12 V)


@dataclass
class Rig:
    """A monitor whose samplers the test ticks by hand, on chips it can break."""

    monitor: Monitor
    clock: ManualClock
    chips: dict[int, SimulatedINA219]
    store: MemoryStore

    def run(self, seconds: float) -> None:
        """Tick every sampler once per period for `seconds` of fake time."""
        for _ in range(round(seconds / PERIOD)):
            for sampler in self.monitor.runner.samplers:
                sampler.sample_once()
            self.clock.advance(PERIOD)

    def status(self, appliance_id: int) -> ApplianceStatus:
        """The appliance's sensor status as the API sees it."""
        return self.monitor.queries.appliance(appliance_id).status

    def energy_wh(self, appliance_id: int) -> float:
        """Energy booked so far, flushed or not."""
        return self.store.lifetime_energy_wh().get(appliance_id, 0.0)


@pytest.fixture
def rig() -> Rig:
    clock = ManualClock()
    bus = FakeBus()
    chips = {}
    for appliance_id, (address, amps) in LOADS.items():
        profile = make_profile({"profile": "constant", "volts": 12.0, "amps": amps}, "x")
        chips[appliance_id] = SimulatedINA219(profile, clock=clock.time, shunt_ohms=0.1)
        bus.attach(address, chips[appliance_id])
    settings = settings_from_mapping(
        {
            "timezone": "UTC",
            "sampling": {"interval_seconds": 1.0, "oversample_hz": 1 / PERIOD},
            "appliances": [
                {"id": i, "name": f"load {i}", "driver": "ina219", "address": address}
                for i, (address, _) in LOADS.items()
            ],
        }
    )
    store = MemoryStore(zone=ZoneInfo("UTC"), clock=clock.time)
    monitor = build(settings, clock=clock, store=store, bus_factory=lambda n: bus, csv_log=False)
    return Rig(monitor, clock, chips, store)


def test_a_missing_chip_takes_only_its_appliance_offline_and_books_no_energy_meanwhile(
    rig: Rig,
) -> None:
    """Removing one chip makes it 503-worthy alone; on return it reads again after a gap."""
    rig.run(5)
    assert {rig.status(i) for i in LOADS} == {ApplianceStatus.OK}
    rig.chips[1].remove()
    rig.run(20)
    assert rig.status(1) is ApplianceStatus.OFFLINE
    with pytest.raises(SensorOffline, match="0x40"):
        rig.monitor.queries.current(1)
    assert rig.status(2) is ApplianceStatus.OK
    assert rig.monitor.queries.current(2).reading.watts == pytest.approx(24.0, rel=0.02)

    rig.chips[1].restore()
    rig.run(40)
    assert rig.status(1) is ApplianceStatus.OK
    assert rig.monitor.queries.current(1).reading.watts == pytest.approx(12.0, rel=0.02)
    (gap,) = rig.store.gaps_between(0, 2**62, 1)
    assert (gap.end_ms - gap.start_ms) / 1000 >= 20
    readings = rig.store.readings_between(0, 2**62, 1, 10**6)
    covered = sum(r.covered_seconds for r in readings)
    # Energy is booked only for the time the sensor was read: none across the outage.
    assert covered <= 65 - (gap.end_ms - gap.start_ms) / 1000
    assert rig.energy_wh(1) == pytest.approx(12.0 * covered / 3600, rel=0.01)
    assert not any(gap.start_ms < r.timestamp_ms < gap.end_ms - 1000 for r in readings)
    assert rig.store.gaps_between(0, 2**62, 2) == []


def test_a_chip_whose_adc_stops_goes_offline_and_recovers_when_reconfigured(rig: Rig) -> None:
    """Stuck conversions are noticed within about a second; configuring afresh revives it."""
    rig.run(2)
    rig.chips[3].stuck(True)
    rig.run(2)
    assert rig.status(3) is ApplianceStatus.OFFLINE
    assert "no new conversion" in (rig.monitor.queries.appliance(3).last_error or "")
    rig.chips[3].stuck(False)
    rig.run(5)
    assert rig.status(3) is ApplianceStatus.OK
    assert rig.status(1) is ApplianceStatus.OK


def test_a_brown_out_is_repaired_within_a_read_or_two(rig: Rig) -> None:
    """After a chip reset the driver reconfigures it and readings are right again at once."""
    rig.run(2)
    rig.chips[2].brown_out()
    rig.run(2)
    sensor = rig.monitor.runner.samplers[0].channels[1].sensor
    assert getattr(sensor, "resets", 0) == 1
    assert rig.status(2) is ApplianceStatus.OK
    history = rig.monitor.queries.history(2, limit=2)
    assert [r.watts for r in history] == pytest.approx([24.0, 24.0], rel=0.02)


def test_a_few_lost_acknowledgements_are_retried_without_going_offline(rig: Rig) -> None:
    """Two NACKs in a row are absorbed by the driver's retries: no error, no gap."""
    rig.run(1)
    rig.chips[3].nack(2)
    rig.run(2)
    assert rig.status(3) is ApplianceStatus.OK
    assert rig.monitor.queries.appliance(3).error_count == 0
    assert rig.store.gaps_between(0, 2**62, 3) == []


def test_lifetime_energy_survives_a_restart(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Energy counters read back from SQLite after a restart and keep growing from there."""
    data_dir = tmp_path_factory.mktemp("data")
    settings = settings_from_mapping(
        {
            "timezone": "UTC",
            "storage": {"data_dir": str(data_dir)},
            "sampling": {"interval_seconds": 1.0, "oversample_hz": 1 / PERIOD},
            "appliances": [
                {
                    "id": 1,
                    "name": "lamp",
                    "driver": "simulated",
                    "simulation": {"profile": "constant", "volts": 12.0, "amps": 1.0},
                }
            ],
        }
    )
    clock = ManualClock()
    totals = []
    for _ in range(3):
        monitor = build(settings, clock=clock, csv_log=False)
        for _ in range(round(3 / PERIOD)):
            monitor.runner.samplers[0].sample_once()
            clock.advance(PERIOD)
        monitor.runner.samplers[0].stop()
        monitor.runner.writer.flush()
        totals.append(monitor.queries.lifetime_energy_wh()[1])
        monitor.runner.store.close()
    assert totals[0] > 0
    assert totals[0] < totals[1] < totals[2]
    assert totals[2] == pytest.approx(3 * totals[0], rel=0.1)
