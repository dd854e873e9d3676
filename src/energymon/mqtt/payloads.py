"""The JSON energymon publishes: appliance states for Home Assistant, and the readings stream.

Readings stream, schema 1 (`<base>/readings`, QoS 1, one message per storage flush):

```json
{"schema": 1, "device_id": "3f9a0c41d2e7", "seq": 42, "readings": [
  {"appliance_id": 1, "timestamp": "2026-12-02T15:53:16.000+00:00",
   "timestamp_ms": 1796140396000, "watts": 61.2, "volts": 12.01, "amps": 5.096,
   "energy_wh": 0.017, "energy_out_wh": 0.0, "covered_seconds": 1.0}]}
```

- `schema` changes only when a field changes meaning or goes away; fields may be added.
- `seq` grows by one per message of a device (it is the outbox row's id): with QoS 1 a
  message may arrive twice (at-least-once), so a collector drops a `seq` it has seen, or
  stores readings keyed by (device_id, appliance_id, timestamp_ms). A gap in `seq` means
  batches were dropped past the outbox's bound (`/metrics` counts them).
- `timestamp` (ISO 8601, UTC) and `timestamp_ms` (epoch ms) are the start of the reading's
  interval; `watts`, `volts`, `amps` its means; `energy_wh` the net energy booked to it and
  `energy_out_wh` (≥ 0) the part of it that flowed out (negative current), so what flowed in
  is `energy_wh + energy_out_wh`. Missing values are `null`, never 0.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from energymon.domain.model import Flow, Reading

__all__ = ["READINGS_SCHEMA", "encode_readings", "readings_message", "state_payload"]

READINGS_SCHEMA = 1
WH_PER_KWH = 1000.0


def _iso(timestamp_ms: int) -> str:
    return dt.datetime.fromtimestamp(timestamp_ms / 1000, dt.UTC).isoformat(timespec="milliseconds")


def _record(reading: Reading) -> dict[str, Any]:
    return {
        "appliance_id": reading.appliance_id,
        "timestamp": _iso(reading.timestamp_ms),
        "timestamp_ms": reading.timestamp_ms,
        "watts": reading.watts,
        "volts": reading.volts,
        "amps": reading.amps,
        "energy_wh": reading.energy_wh,
        "energy_out_wh": reading.out_wh,
        "covered_seconds": reading.covered_seconds,
    }


def encode_readings(readings: Iterable[Reading]) -> bytes:
    """The `readings` array of one message, as the outbox keeps it until it is sent."""
    return json.dumps([_record(r) for r in readings], separators=(",", ":")).encode()


def readings_message(device_id: str, seq: int, encoded_readings: bytes) -> bytes:
    """One readings-stream message around an encoded array (no second encoding of it)."""
    head = json.dumps({"schema": READINGS_SCHEMA, "device_id": device_id, "seq": seq})
    return head[:-1].encode() + b',"readings":' + encoded_readings + b"}"


def state_payload(reading: Reading, energy: Flow) -> bytes:
    """An appliance's state for Home Assistant: its latest reading and its live lifetime energy
    in and out.

    Energy goes out in kWh to the Wh's thousandth (HA's Energy dashboard counts kWh).
    """
    return json.dumps(
        {
            "power_w": round(reading.watts, 3),
            "voltage_v": None if reading.volts is None else round(reading.volts, 4),
            "current_a": None if reading.amps is None else round(reading.amps, 5),
            "energy_kwh": round(energy.in_wh / WH_PER_KWH, 6),
            "energy_out_kwh": round(energy.out_wh / WH_PER_KWH, 6),
            "timestamp": _iso(reading.timestamp_ms),
        },
        separators=(",", ":"),
    ).encode()
