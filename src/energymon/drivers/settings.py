"""The `[[appliances]]` section: an appliance, its driver, and that driver's own options.

The keys every appliance has are fields here; every other key belongs to the driver and is
validated by the driver's options model (its own defaults and limits), looked up in the
registry while the configuration is validated. Errors name the key as it is in the file:
`appliances[0].shunt_ohms (Fridge): ...`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from energymon.drivers import registry
from energymon.drivers.driver import Driver, DriverOptions, Location
from energymon.errors import ConfigError

__all__ = ["ApplianceSettings", "SimulationSettings", "check_placement"]


class SimulationSettings(BaseModel):
    """How a simulated appliance behaves; see energymon.drivers.profiles for the profiles."""

    model_config = ConfigDict(extra="allow", frozen=True)

    profile: str | None = None
    seed: int | None = None


class ApplianceSettings(BaseModel):
    """One appliance and the sensor that measures it; `options` holds the driver's keys."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: int = Field(gt=0)
    name: str = Field(min_length=1, max_length=64)
    driver: str = "ina219"
    bus: int = Field(1, ge=0, le=255)
    calibration_factor: float = Field(1.0, gt=0)
    # With this table the appliance runs its real driver on a simulated chip (see `simulated`).
    simulation: SimulationSettings | None = None

    _options: DriverOptions = PrivateAttr()

    @model_validator(mode="after")
    def _driver_options(self) -> Self:
        try:
            driver = registry.get(self.driver)
        except ConfigError as exc:
            raise _located("driver", self.driver, str(exc)) from None
        if self.simulation is not None and driver.simulate is None:
            raise _located("simulation", None, f"driver {driver.name!r} has no simulated chip")
        # Nested errors keep their keys: pydantic prefixes them with this appliance's place.
        self._options = driver.options.model_validate(self.model_extra or {})
        return self

    @property
    def options(self) -> DriverOptions:
        """The driver's options, validated, with the driver's defaults filled in."""
        return self._options

    @property
    def driver_spec(self) -> Driver[Any]:
        """The driver this appliance names (known to exist once validated)."""
        return registry.get(self.driver)

    @property
    def simulated(self) -> bool:
        """Whether the sensor is a simulated chip: a simulation table, or a simulated driver."""
        return self.simulation is not None or self.driver_spec.simulated_only

    @property
    def address(self) -> int | None:
        """The sensor's I²C address, where its driver has one."""
        return self.options.location().address

    def effective(self) -> dict[str, Any]:
        """Every key with its effective value, driver defaults included (for check-config)."""
        common = self.model_dump(mode="json", exclude_none=True)
        for key in self.model_extra or {}:
            common.pop(key, None)
        return common | self.options.model_dump(mode="json")


def check_placement(appliances: Sequence[ApplianceSettings]) -> None:
    """ValueError when two appliances would read the same sensor (bus, address, channel)."""
    seen: dict[tuple[int, int], list[tuple[Location, str, str]]] = {}
    for appliance in appliances:
        where = appliance.options.location()
        if where.address is None:
            continue
        others = seen.setdefault((appliance.bus, where.address), [])
        for other, name, driver in others:
            if (
                where.channel is None
                or other.channel in (None, where.channel)
                or (driver != appliance.driver)
            ):
                channel = f" channel {where.channel}" if where.channel is not None else ""
                raise ValueError(
                    f"appliances: {appliance.name!r} and {name!r} are both on bus "
                    f"{appliance.bus} at address 0x{where.address:02X}{channel}"
                )
        others.append((where, appliance.name, appliance.driver))


def _located(key: str, value: Any, message: str) -> ValidationError:
    """A validation error at `key` of this appliance, so the message names that key."""
    error = PydanticCustomError("driver_option", message)
    details: list[InitErrorDetails] = [{"type": error, "loc": (key,), "input": value}]
    return ValidationError.from_exception_data("ApplianceSettings", details)
