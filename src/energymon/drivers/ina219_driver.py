"""The INA219 as energymon configures it: its options, and the `ina219` and `simulated` drivers.

`driver = "simulated"` is the INA219 driver on a simulated INA219, with or without an
`[appliances.simulation]` table; `driver = "ina219"` with such a table is the same thing.
"""

from __future__ import annotations

import dataclasses
from typing import Literal, Self

from pydantic import Field, model_validator

from energymon.domain.calibration import PGA_RANGES, choose_pga, max_shunt_volts
from energymon.drivers.base import Sensor, SMBusLike
from energymon.drivers.driver import Bench, Context, Driver, I2COptions, Identified
from energymon.drivers.ina219 import INA219
from energymon.drivers.profiles import Load, LoadLimits

__all__ = ["INA219_DRIVER", "SIMULATED_DRIVER", "INA219Options"]

# The driver's line in `energymon drivers`.
SUMMARY = "TI INA219: 26 V, 12-bit, ±40..320 mV shunt range (PGA)"
MAX_BUS_VOLTS = 26.0  # SBOS448: 0..26 V on IN+ and IN- whatever the BRNG range says


class INA219Options(I2COptions):
    """An INA219 (TI SBOS448): 12-bit, ±320 mV shunt range at most, bus up to 26 V."""

    shunt_ohms: float = Field(0.1, gt=0)
    # Picks the smallest PGA range (±40/80/160/320 mV) that holds max_expected_amps × shunt_ohms.
    max_expected_amps: float = Field(3.2, gt=0)
    bus_voltage_range: Literal[16, 32] = 32

    @model_validator(mode="after")
    def _shunt_range_fits(self) -> Self:
        try:
            choose_pga(max_shunt_volts(self.shunt_ohms, self.max_expected_amps))
        except ValueError as exc:
            raise ValueError(f"max_expected_amps × shunt_ohms: {exc}") from None
        return self

    def load_limits(self) -> LoadLimits:
        """The widest PGA range across the shunt, and the chip's 26 V."""
        full_scale = PGA_RANGES[-1][1]
        why = f"±{full_scale * 1000:g} mV across a {self.shunt_ohms:g} Ω shunt"
        return LoadLimits(full_scale / self.shunt_ohms, MAX_BUS_VOLTS, why)


def open_ina219(options: INA219Options, context: Context) -> Sensor:
    """The INA219 driver at the options' address on the appliance's bus."""
    return INA219(
        context.bus,
        address=options.address,
        shunt_ohms=options.shunt_ohms,
        max_expected_amps=options.max_expected_amps,
        bus_voltage_range=options.bus_voltage_range,
        bus_number=context.bus_number,
    )


def simulate_ina219(options: INA219Options, bench: Bench, load: Load) -> None:
    """A simulated INA219 carrying `load`, at the options' address."""
    from energymon.drivers.fakebus import SimulatedINA219

    chip = SimulatedINA219(load, clock=bench.clock, shunt_ohms=options.shunt_ohms)
    bench.bus.attach(options.address, chip)


def probe_ina219(bus: SMBusLike, address: int) -> Identified | None:
    """The INA219 has no ID register: its registers' reset values and reserved bits tell."""
    from energymon.drivers.scan import inspect_ina219

    result = inspect_ina219(bus, address)
    if result is None or not result.looks_like_ina219:
        return None
    return Identified("ina219", result.detail, result.bus_volts, certain=False)


INA219_DRIVER = Driver("ina219", SUMMARY, INA219Options, open_ina219, probe_ina219, simulate_ina219)
SIMULATED_DRIVER = dataclasses.replace(
    INA219_DRIVER,
    name="simulated",
    summary='the ina219 driver on a simulated INA219 (= "ina219" with [appliances.simulation])',
    probe=None,
    simulated_only=True,
)
