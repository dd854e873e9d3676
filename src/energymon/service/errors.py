"""The errors the service raises to its callers; the API maps each to an HTTP status."""

from __future__ import annotations

from energymon.errors import EnergymonError

__all__ = ["NoReadingYet", "SensorOffline", "UnknownAppliance"]


class UnknownAppliance(EnergymonError):
    """No appliance has this id."""

    def __init__(self, appliance_id: int) -> None:
        super().__init__(f"no appliance with id {appliance_id}")
        self.appliance_id = appliance_id


class SensorOffline(EnergymonError):
    """The appliance's sensor is not delivering readings; the message says why."""

    def __init__(self, appliance_id: int, reason: str) -> None:
        super().__init__(self.describe(appliance_id, reason))
        self.appliance_id = appliance_id
        self.reason = reason

    @staticmethod
    def describe(appliance_id: int, reason: str) -> str:
        """The message: which appliance, and why."""
        return f"sensor of appliance {appliance_id} is offline: {reason}"


class NoReadingYet(SensorOffline):
    """The sensor has not delivered its first reading yet (the service just started)."""

    def __init__(self, appliance_id: int) -> None:
        super().__init__(appliance_id, "sensor starting")

    @staticmethod
    def describe(appliance_id: int, reason: str) -> str:
        """Not offline: say it plainly (the API adds a short Retry-After)."""
        return f"no reading yet for appliance {appliance_id} ({reason})"
