"""Sensor drivers: the INA219 on smbus2, a fake bus with a simulated chip, and a registry."""

from energymon.drivers.base import Measurement, Sensor, SensorError, SensorSpec, SMBusLike

__all__ = ["Measurement", "SMBusLike", "Sensor", "SensorError", "SensorSpec"]
