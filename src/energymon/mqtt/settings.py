"""The `[mqtt]` table: the broker, credentials, TLS and what is published (off by default).

Validated like the rest of the settings tree; what needs the file system (the password file,
the TLS files, /etc/machine-id for the device id) is read by the composition root, never here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = ["MqttSettings", "MqttTlsSettings"]

PLAIN_PORT, TLS_PORT = 1883, 8883  # IANA's ports for MQTT and MQTT over TLS
# A device id ends up in topics and in Home Assistant's unique_ids: keep it to a safe alphabet.
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _topic_error(topic: str) -> str | None:
    """Why `topic` cannot be a topic prefix we publish under, or None."""
    if not topic:
        return "must not be empty"
    if any(char in topic for char in "+#\0"):
        return "must not contain the wildcards + or # (or NUL)"
    if topic.startswith("/") or topic.endswith("/"):
        return "must not start or end with /"
    if topic.startswith("$"):
        return "must not start with $ (reserved for the broker)"
    return None


class MqttTlsSettings(_Section):
    """`[mqtt.tls]`: connect over TLS (present = on). Without `ca_file` the system's CAs are
    trusted; `cert_file` and `key_file` give a client certificate; `verify = false` accepts any
    server certificate (a test broker only: it lets anyone in the middle read the password)."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    verify: bool = True

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> Self:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together: set both or neither")
        return self


class MqttSettings(_Section):
    """`[mqtt]`: publish to an MQTT broker for Home Assistant and other collectors.

    Defaults: the device id is derived from /etc/machine-id (stable across reinstalls of
    energymon, distinct per Pi), the base topic is `energymon/<device id>`, the client id
    `energymon-<device id>`, the port 1883 (8883 with TLS).
    """

    enabled: bool = False
    host: str = Field("localhost", min_length=1)
    port: int | None = Field(None, ge=1, le=65535)
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    username: str | None = Field(None, min_length=1)
    password: SecretStr | None = None  # normally ENERGYMON_MQTT__PASSWORD or password_file
    password_file: Path | None = None
    tls: MqttTlsSettings | None = None
    keepalive_seconds: int = Field(60, ge=5, le=3600)
    client_id: str | None = Field(None, min_length=1, max_length=128)
    device_id: str | None = None
    device_name: str | None = Field(None, min_length=1, max_length=64)
    base_topic: str | None = None
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    configuration_url: str | None = None  # default: the dashboard at server.host:server.port
    # Home Assistant's states: power, voltage, current and energy of every appliance.
    state_interval_seconds: float = Field(10.0, ge=1, le=3600)
    # The readings stream on <base>/readings, one message per storage flush, via the outbox.
    readings: bool = True
    # Readings kept on disk while the broker is away (500,000: 46 hours of three appliances at
    # one reading a second, about 60 MB); past it the oldest batches are dropped and counted.
    outbox_max_readings: int = Field(500_000, ge=1000, le=50_000_000)

    @field_validator("device_id")
    @classmethod
    def _device_id_alphabet(cls, device_id: str | None) -> str | None:
        if device_id is not None and not _DEVICE_ID.match(device_id):
            raise ValueError("must be 1-64 letters, digits, _ or - (it goes into topics)")
        return device_id

    @field_validator("base_topic", "discovery_prefix")
    @classmethod
    def _valid_topic(cls, topic: str | None) -> str | None:
        if topic is not None and (problem := _topic_error(topic)):
            raise ValueError(problem)
        return topic

    @field_validator("configuration_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url

    @model_validator(mode="after")
    def _credentials_consistent(self) -> Self:
        if self.password is not None and self.password_file is not None:
            raise ValueError("set password or password_file, not both")
        if (self.password is not None or self.password_file is not None) and not self.username:
            raise ValueError("a password needs a username (MQTT sends none without one)")
        return self

    @property
    def effective_port(self) -> int:
        """The configured port, else 8883 with TLS and 1883 without."""
        if self.port is not None:
            return self.port
        return TLS_PORT if self.tls is not None else PLAIN_PORT
