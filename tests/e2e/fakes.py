"""The app in-process on fake hardware: a FakeBus that can hang, a running clock that can jump."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from energymon.bootstrap import build_service
from energymon.drivers.fakebus import FakeBus, SimulatedINA219
from energymon.drivers.profiles import make_profile
from energymon.service.clock import ManualClock
from energymon.service.monitor import Monitor
from energymon.settings import Settings, settings_from_mapping
from tests.e2e.support import APPLIANCES, config_mapping, wait_until


class GatedBus(FakeBus):
    """A FakeBus that can hang like a wedged I²C bus: transfers wait while the gate is shut."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        """Wait for the gate (at most 30 s), then read."""
        if not self.gate.is_set():
            self.waiting.set()
            self.gate.wait(30.0)
        return super().read_word_data(i2c_addr, register, force)


@dataclass
class InProcess:
    """A started monitor from bootstrap.build_service, a TestClient of its app, fake hardware."""

    monitor: Monitor
    client: TestClient
    bus: GatedBus
    chips: dict[int, SimulatedINA219]
    clock: ManualClock


def real_driver_settings(tmp_path: Path, **server: Any) -> Settings:
    """The test appliances on the real INA219 driver; the bus is a FakeBus with chips."""
    mapping = config_mapping(tmp_path / "data", **server)
    mapping["appliances"] = [
        {k: v for k, v in a.items() if k != "simulation"} | {"driver": "ina219"} for a in APPLIANCES
    ]
    return settings_from_mapping(mapping)


@contextmanager
def running_app(settings: Settings, **build_overrides: Any) -> Iterator[InProcess]:
    """Build and start a monitor on a GatedBus of simulated chips; serve it through TestClient."""
    bus, clock = GatedBus(), ManualClock.running()
    chips = {}
    for appliance in APPLIANCES:
        profile = make_profile(appliance["simulation"], default_for=appliance["name"])
        chips[appliance["id"]] = SimulatedINA219(profile, shunt_ohms=0.1)
        bus.attach(appliance["address"], chips[appliance["id"]])
    service = build_service(
        settings,
        clock=clock,
        bus_factory=lambda number: bus,
        sse_keepalive_seconds=0.2,
        **build_overrides,
    )
    monitor = service.monitor
    monitor.runner.start()
    try:
        with TestClient(service.app, raise_server_exceptions=False) as client:
            wait_until(
                lambda: all(
                    client.get("/energy", params={"applianceId": a["id"]}).status_code == 200
                    for a in APPLIANCES
                ),
                what="a reading of every appliance",
            )
            yield InProcess(monitor, client, bus, chips, clock)
    finally:
        bus.gate.set()
        monitor.runner.stop()
