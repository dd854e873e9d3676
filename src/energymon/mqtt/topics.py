"""Where energymon publishes: one place that names every topic.

```
<base>/availability                      online | offline (retained; offline is the last will)
<base>/appliances/<id>/state             JSON: power_w, voltage_v, current_a, energy_kwh (retained)
<base>/appliances/<id>/availability      online | offline: the appliance's sensor (retained)
<base>/readings                          the readings stream, schema 1 (QoS 1, not retained)
<prefix>/<component>/<device id>/appliance_<id>_<key>/config    Home Assistant discovery
<prefix>/status                          Home Assistant's birth message (subscribed)
```

Topics carry appliance ids, never names: a renamed appliance keeps its topics and its
Home Assistant entities.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OFFLINE", "ONLINE", "Topics", "discovery_topic"]

ONLINE, OFFLINE = "online", "offline"  # Home Assistant's default availability payloads


def discovery_topic(
    prefix: str, device_id: str, component: str, appliance_id: int, key: str
) -> str:
    """`<prefix>/<component>/<device id>/appliance_<id>_<key>/config` (HA's node_id form)."""
    return f"{prefix}/{component}/{device_id}/appliance_{appliance_id}_{key}/config"


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one device: its base topic, and Home Assistant's discovery prefix."""

    base: str
    discovery_prefix: str
    device_id: str

    @property
    def availability(self) -> str:
        """The device's availability; the broker publishes `offline` here if we vanish."""
        return f"{self.base}/availability"

    @property
    def readings(self) -> str:
        """The readings stream for collectors."""
        return f"{self.base}/readings"

    @property
    def ha_status(self) -> str:
        """Where Home Assistant says `online` when it (re)starts."""
        return f"{self.discovery_prefix}/status"

    def state(self, appliance_id: int) -> str:
        """One appliance's latest values, as JSON."""
        return f"{self.base}/appliances/{appliance_id}/state"

    def appliance_availability(self, appliance_id: int) -> str:
        """Whether one appliance's sensor delivers."""
        return f"{self.base}/appliances/{appliance_id}/availability"

    def discovery(self, component: str, appliance_id: int, key: str) -> str:
        """The discovery config topic of one entity of one appliance."""
        return discovery_topic(self.discovery_prefix, self.device_id, component, appliance_id, key)
