"""Home Assistant's rules for the discovery configs we publish, written out independently.

From homeassistant/components/sensor/const.py (DEVICE_CLASS_UNITS, DEVICE_CLASS_STATE_CLASSES)
and the MQTT sensor/binary_sensor docs, for the device classes energymon uses: a config that
breaks one of them makes HA log a warning and, for energy, keeps it out of the Energy dashboard.
"""

from __future__ import annotations

from typing import Any

__all__ = ["problems"]

SENSOR_UNITS: dict[str, set[str]] = {
    "power": {"mW", "W", "kW", "MW", "GW", "TW", "BTU/h"},
    "energy": {"J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal", "kcal"},
    "voltage": {"µV", "mV", "V", "kV", "MV"},
    "current": {"mA", "A"},
}
SENSOR_STATE_CLASSES: dict[str, set[str]] = {
    "power": {"measurement"},
    "energy": {"total", "total_increasing"},
    "voltage": {"measurement"},
    "current": {"measurement"},
}
BINARY_SENSOR_CLASSES = {"connectivity", "problem"}
ENTITY_CATEGORIES = {"config", "diagnostic"}


def problems(component: str, config: dict[str, Any]) -> list[str]:
    """What HA would object to in one discovery config (empty: none)."""
    found = [
        f"missing {key}" for key in ("unique_id", "state_topic", "device") if key not in config
    ]
    device = config.get("device", {})
    if not device.get("identifiers") and not device.get("connections"):
        found.append("device needs identifiers or connections")
    if "name" not in config.get("origin", {}):
        found.append("origin needs a name")
    device_class = config.get("device_class")
    if component == "sensor":
        unit = config.get("unit_of_measurement")
        if unit not in SENSOR_UNITS.get(device_class, set()):
            found.append(f"unit {unit!r} is not valid for device class {device_class!r}")
        state_class = config.get("state_class")
        if state_class not in SENSOR_STATE_CLASSES.get(device_class, set()):
            found.append(f"state class {state_class!r} not valid for {device_class!r}")
    elif component == "binary_sensor":
        if device_class not in BINARY_SENSOR_CLASSES:
            found.append(f"binary sensor device class {device_class!r} unexpected")
    else:
        found.append(f"unexpected component {component!r}")
    category = config.get("entity_category")
    if category is not None and category not in ENTITY_CATEGORIES:
        found.append(f"entity_category {category!r} invalid")
    return found
