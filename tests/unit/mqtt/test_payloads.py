"""The readings stream's schema 1 and the appliance state Home Assistant reads."""

from __future__ import annotations

import json

from energymon.domain.model import Flow, Reading
from energymon.mqtt.payloads import encode_readings, readings_message, state_payload

LIVE = Reading(1, 1_767_225_600_000, 61.25, 12.5, 4.9, 0.017, 1.0, 20, energy_out_wh=0.002)
IMPORTED = Reading(2, 1_767_225_601_000, 100.0, None, None, 0.03, 1.0, 1)


def test_readings_message_has_the_documented_schema() -> None:
    """schema, device id, seq, and each reading's fields, unknown values null."""
    message = json.loads(readings_message("abc", 42, encode_readings([LIVE, IMPORTED])))
    assert (message["schema"], message["device_id"], message["seq"]) == (1, "abc", 42)
    first, second = message["readings"]
    assert first == {
        "appliance_id": 1,
        "timestamp": "2026-01-01T00:00:00.000+00:00",
        "timestamp_ms": 1_767_225_600_000,
        "watts": 61.25,
        "volts": 12.5,
        "amps": 4.9,
        "energy_wh": 0.017,
        "energy_out_wh": 0.002,
        "covered_seconds": 1.0,
    }
    assert (second["volts"], second["amps"]) == (None, None)
    assert second["energy_out_wh"] == 0.0  # imported, net positive: nothing flowed out


def test_state_carries_power_voltage_current_and_lifetime_kwh() -> None:
    """Energy in and out go out in kWh to the mWh; the rest as measured."""
    state = json.loads(state_payload(LIVE, Flow(in_wh=1234.5678, out_wh=56.78901)))
    assert state["power_w"] == 61.25
    assert (state["voltage_v"], state["current_a"]) == (12.5, 4.9)
    assert state["energy_kwh"] == 1.234568
    assert state["energy_out_kwh"] == 0.056789
