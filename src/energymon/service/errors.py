"""The errors the service raises to its callers; the API maps each to an HTTP status."""

from __future__ import annotations

from energymon.errors import EnergymonError

__all__ = ["SensorOffline", "UnknownAppliance"]


class UnknownAppliance(EnergymonError):
    """No appliance has this id."""

    def __init__(self, appliance_id: int) -> None:
        super().__init__(f"no appliance with id {appliance_id}")
        self.appliance_id = appliance_id


class SensorOffline(EnergymonError):
    """The appliance's sensor is not delivering readings; the message says why."""

    def __init__(self, appliance_id: int, reason: str) -> None:
        super().__init__(f"sensor of appliance {appliance_id} is offline: {reason}")
        self.appliance_id = appliance_id
        self.reason = reason
