"""Open a real I²C bus (/dev/i2c-N) with smbus2, translating OS errors into SensorError."""

from __future__ import annotations

from energymon.drivers.base import SensorError, SMBusLike

__all__ = ["device_path", "open_bus"]

_ENABLE_HINT = "enable I²C with `sudo raspi-config` (Interface Options → I2C) and reboot"
_GROUP_HINT = "add the user to the i2c group (`sudo usermod -aG i2c $USER`, then log in again)"


def device_path(number: int) -> str:
    """The character device of I²C bus `number`."""
    return f"/dev/i2c-{number}"


def open_bus(number: int) -> SMBusLike:
    """Open I²C bus `number`; SensorError with a hint when it is missing or not permitted."""
    path = device_path(number)
    try:
        # Imported here so the package runs (with simulated sensors) where smbus2 cannot load.
        from smbus2 import SMBus
    except ImportError as exc:
        raise SensorError(
            f"bus {number}: smbus2 cannot be loaded on this system ({exc}); "
            'real sensors need Linux with I²C, use driver = "simulated" elsewhere'
        ) from exc
    try:
        return SMBus(number)
    except FileNotFoundError as exc:
        raise SensorError(f"bus {number}: {path} does not exist; {_ENABLE_HINT}") from exc
    except PermissionError as exc:
        raise SensorError(f"bus {number}: permission denied on {path}; {_GROUP_HINT}") from exc
    except OSError as exc:
        raise SensorError(f"bus {number}: cannot open {path}: {exc.strerror or exc}") from exc
