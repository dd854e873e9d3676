"""Discovery announced and withdrawn, and the record on disk of what was announced.

Home Assistant keeps a retained discovery config until someone clears it, and after a restart
energymon no longer knows an appliance the configuration dropped. So the appliances announced
are written to `mqtt-discovery.json` in the data directory, with the discovery prefix and device
id they were announced under (changing either withdraws the old ones too). The file is replaced
atomically, and only once the broker acknowledged the withdrawals, so a crash in between repeats
them at the next start instead of forgetting them.

`Announcer` publishes the configs (discovery on) and the withdrawals (removed appliances, or
every appliance when discovery was turned off) after each connect and Home Assistant restart.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from energymon.mqtt.discovery import DeviceInfo, Message, clear_messages, discovery_messages
from energymon.mqtt.topics import Topics

__all__ = ["ANNOUNCED_FILENAME", "Announced", "Announcer", "load_announced", "save_announced"]

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


class Announcer:
    """Publishes discovery through `publish` (returns the message id) and keeps the record."""

    def __init__(
        self,
        *,
        topics: Topics,
        device: DeviceInfo,
        appliances: Sequence[tuple[int, str]],
        discovery: bool,
        record_path: Path,
        publish: Callable[[Message], int],
    ) -> None:
        self.topics = topics
        self.device = device
        self.appliances = list(appliances)
        self.discovery = discovery
        self.record_path = record_path
        self._publish = publish
        self._pending: dict[int, Announced] = {}  # message id of the last withdrawal -> record

    def announce(self) -> None:
        """Withdraw what is no longer configured, then announce what is."""
        configured = frozenset(i for i, _ in self.appliances) if self.discovery else frozenset()
        current = Announced(self.topics.discovery_prefix, self.topics.device_id, configured)
        last_mid: int | None = None
        removed: set[int] = set()
        for old in load_announced(self.record_path):
            same = (old.discovery_prefix, old.device_id) == (
                current.discovery_prefix,
                current.device_id,
            )
            stale = old.appliance_ids - current.appliance_ids if same else old.appliance_ids
            for message in clear_messages(old.discovery_prefix, old.device_id, sorted(stale)):
                last_mid = self._publish(message)
            removed |= stale
        if self.discovery:
            for message in discovery_messages(self.appliances, self.topics, self.device):
                self._publish(message)
        if last_mid is None:
            save_announced(self.record_path, [current])
            return
        log.info("removed appliances withdrawn from Home Assistant", appliance_ids=sorted(removed))
        # paho sends in order: once the last withdrawal is acknowledged, all are.
        self._pending[last_mid] = current

    def acked(self, mid: int) -> None:
        """The broker has message `mid`: if it was the last withdrawal, update the record."""
        if (current := self._pending.pop(mid, None)) is not None:
            save_announced(self.record_path, [current])
