"""Sensor drivers: INA2xx chips on smbus2, hwmon, simulated chips, and the driver registry."""

from energymon.drivers.base import Measurement, Sensor, SensorError, SMBusLike

__all__ = ["Measurement", "SMBusLike", "Sensor", "SensorError"]
