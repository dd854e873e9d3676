"""A kernel hwmon device in a FakeSysfs: the attributes an ina2xx-bound chip shows, live.

Each read of an attribute computes it from the load at that moment, in the kernel's integer
units: millivolts, milliamperes, microwatts. The device appears where the kernel puts it: under
its I²C device (when it has an address) and as /sys/class/hwmon/hwmonN.
"""

from __future__ import annotations

from collections.abc import Callable

from energymon.drivers.driver import Bench
from energymon.drivers.loads import Profile

__all__ = ["add_hwmon_device"]

_UPDATE_INTERVAL_MS = "2"  # what the ina2xx driver reports with its default averaging


def add_hwmon_device(
    bench: Bench, address: int | None, device: str | None, channel: int, load: Profile
) -> None:
    """Put channel `channel` of a simulated hwmon device on the bench's sysfs."""
    key = ("sim-hwmon", address, device)
    directories = bench.shared.get(key)
    if directories is None:
        number = sum(1 for k in bench.shared if isinstance(k, tuple) and k[0] == "sim-hwmon")
        directories = [f"class/hwmon/hwmon{number}"]
        if address is not None:
            device_dir = f"bus/i2c/devices/{bench.bus_number}-{address:04x}"
            directories.append(f"{device_dir}/hwmon/hwmon{number}")
        named = device if device is not None and not device.startswith("hwmon") else "ina226"
        for directory in directories:
            bench.sysfs.add(f"{directory}/name", named)
            bench.sysfs.add(f"{directory}/update_interval", _UPDATE_INTERVAL_MS)
        bench.shared[key] = directories
    clock = bench.clock

    def attribute(unit: float, value: Callable[[float, float], float]) -> Callable[[], str]:
        def text() -> str:
            volts, amps = load(clock())
            return str(round(value(volts, amps) / unit))

        return text

    for directory in directories:
        prefix = f"{directory}/"
        bench.sysfs.add(f"{prefix}in{channel}_input", attribute(1e-3, lambda v, a: v))
        bench.sysfs.add(f"{prefix}curr{channel}_input", attribute(1e-3, lambda v, a: a))
        bench.sysfs.add(f"{prefix}power{channel}_input", attribute(1e-6, lambda v, a: abs(v * a)))
