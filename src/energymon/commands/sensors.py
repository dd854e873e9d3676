"""Subcommands that talk to sensors or run the service: read, check-config, serve."""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterable

from energymon.bootstrap import SensorGroup, build_sensors, check_startable
from energymon.drivers.base import SensorError
from energymon.service.clock import SystemClock
from energymon.service.sampler import Channel
from energymon.settings import Settings, load_settings

__all__ = ["check_config", "read", "serve"]


def _row(channel: Channel, address: int | None) -> dict[str, object]:
    factor = channel.calibration_factor
    try:
        if not channel.state.configured:
            channel.sensor.configure()
            channel.state.configured = True
            # Writing the configuration restarts the ADC: let one conversion finish first.
            time.sleep(1.5 * channel.sensor.conversion_time_seconds)
        m = channel.sensor.read()
    except SensorError as exc:
        channel.state.configured = False
        return {
            "applianceId": channel.appliance_id,
            "appliance": channel.name,
            "address": _hex(address),
            "status": "offline",
            "error": str(exc),
        }
    return {
        "applianceId": channel.appliance_id,
        "appliance": channel.name,
        "address": _hex(address),
        "volts": round(m.bus_volts, 3),
        "amps": round(m.amps * factor, 4),
        "watts": round(m.watts * factor, 3),
        "status": "overflow" if m.overflow else "ok",
    }


def _print_table(rows: list[dict[str, object]]) -> None:
    header = f"{'appliance':<20} {'address':>7} {'V':>8} {'A':>8} {'W':>9}  status"
    print(header)
    for row in rows:
        if row["status"] == "offline":
            print(
                f"{row['appliance']!s:<20} {row['address']!s:>7} {'-':>8} {'-':>8} {'-':>9}"
                f"  offline: {row['error']}"
            )
        else:
            print(
                f"{row['appliance']!s:<20} {row['address']!s:>7} {row['volts']:>8.3f}"
                f" {row['amps']:>8.4f} {row['watts']:>9.3f}  {row['status']}"
            )


def _hex(address: int | None) -> str | None:
    return None if address is None else f"0x{address:02X}"


def _addresses(settings: Settings) -> dict[int, int | None]:
    return {a.id: a.address for a in settings.appliances}


def read(args: argparse.Namespace) -> int:
    """Read each appliance once, or every sampling interval with --watch."""
    settings = load_settings(args.config)
    groups = build_sensors(settings, clock=SystemClock())
    addresses = _addresses(settings)
    stop = threading.Event()
    rounds = 0
    try:
        while True:
            rows = [_row(c, addresses[c.appliance_id]) for c in _channels(groups)]
            if args.json:
                for row in rows:
                    print(json.dumps(row), flush=True)
            else:
                _print_table(rows)
            rounds += 1
            if not args.watch or (args.count is not None and rounds >= args.count):
                break
            if not args.json:
                print(flush=True)
            stop.wait(settings.sampling.interval_seconds)
    finally:
        for group in groups:
            group.bus.close()
    return 1 if all(row["status"] == "offline" for row in rows) else 0


def _channels(groups: Iterable[SensorGroup]) -> list[Channel]:
    return [channel for group in groups for channel in group.channels]


def check_config(args: argparse.Namespace) -> int:
    """Validate the settings and print them as effective TOML-like JSON."""
    settings = load_settings(args.config)
    check_startable(settings)
    data = settings.model_dump(mode="json", exclude={"api_key"})
    data["api_key"] = "(set)" if settings.api_key is not None else None
    data["timezone"] = str(settings.zone.key)
    # Each appliance with its driver's options, defaults filled in; addresses in hex.
    data["appliances"] = [appliance.effective() for appliance in settings.appliances]
    for appliance in data["appliances"]:
        if isinstance(appliance.get("address"), int):
            appliance["address"] = _hex(appliance["address"])
    print(json.dumps(data, indent=2))
    return 0


def serve(args: argparse.Namespace) -> int:
    """Run sampling, storage and the HTTP API until SIGTERM or Ctrl-C."""
    from energymon.runtime.server import serve as serve_http

    settings = load_settings(args.config)
    return serve_http(settings, host=args.host, port=args.port)
