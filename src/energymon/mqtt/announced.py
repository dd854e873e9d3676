"""What discovery announced last: kept on disk so a removed appliance can be withdrawn.

Home Assistant keeps a retained discovery config until someone clears it, and after a restart
energymon no longer knows an appliance the configuration dropped. So the appliances announced
are written to `mqtt-discovery.json` in the data directory, with the discovery prefix and device
id they were announced under (changing either withdraws the old ones too). The file is replaced
atomically, and only once the broker acknowledged the withdrawals, so a crash in between repeats
them at the next start instead of forgetting them.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import structlog

__all__ = ["ANNOUNCED_FILENAME", "Announced", "load_announced", "save_announced"]

log = structlog.get_logger("energymon.mqtt")

ANNOUNCED_FILENAME = "mqtt-discovery.json"


@dataclass(frozen=True, slots=True)
class Announced:
    """Appliance ids announced under one discovery prefix and device id."""

    discovery_prefix: str
    device_id: str
    appliance_ids: frozenset[int]


def load_announced(path: Path) -> list[Announced]:
    """The announcements on record; none for a missing or unreadable file (said once)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            Announced(entry["discovery_prefix"], entry["device_id"], frozenset(entry["appliances"]))
            for entry in data["announced"]
        ]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning(
            "MQTT discovery record unreadable; removed appliances stay in HA",
            path=str(path),
            error=str(exc),
        )
        return []


def save_announced(path: Path, announced: list[Announced]) -> None:
    """Replace the record atomically (write a temporary file, fsync, rename)."""
    data = {
        "announced": [
            {
                "discovery_prefix": a.discovery_prefix,
                "device_id": a.device_id,
                "appliances": sorted(a.appliance_ids),
            }
            for a in announced
            if a.appliance_ids
        ]
    }
    temporary = path.with_name(path.name + ".tmp")
    try:
        with temporary.open("w", encoding="utf-8") as file:
            json.dump(data, file)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        log.warning("could not write the MQTT discovery record", path=str(path), error=str(exc))
