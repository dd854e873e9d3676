"""Hardware tests need a Raspberry Pi with I²C enabled and an INA219 at 0x40 on bus 1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from energymon.drivers import SMBusLike
from energymon.drivers.bus import device_path, open_bus

BUS_NUMBER = 1


@pytest.fixture(autouse=True)
def _needs_i2c_bus() -> None:
    if not Path(device_path(BUS_NUMBER)).exists():
        pytest.skip("no /dev/i2c-1: hardware tests need a Raspberry Pi with I²C enabled")


@pytest.fixture
def bus() -> Iterator[SMBusLike]:
    """The real I²C bus 1, closed after the test."""
    real_bus = open_bus(BUS_NUMBER)
    yield real_bus
    real_bus.close()
