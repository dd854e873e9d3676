"""paho-mqtt's client, its network thread, and its callbacks turned into events.

paho runs the socket on its own thread (`loop_start`) and reconnects by itself with a backoff
(`reconnect_delay_set`: 1 s doubling to 10 s, so a broker that comes back is found within
10 s, while a broker that stays away costs one connection attempt every 10 s). Its callbacks
run on that thread; here they only append an event and wake the publisher, which handles
every event on its own thread, in order. That also settles paho's known race (a PUBACK can
arrive before `publish()` has returned its message id): the ack is handled after the id is
recorded.

paho says why a connection attempt failed only by raising from `reconnect()`, which its
loop catches; `_Client` notes the exception first, so the log and /health can say
"certificate verify failed" or "unknown host" instead of "connection failed".
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from energymon.mqtt.discovery import Message
from energymon.mqtt.topics import OFFLINE

__all__ = [
    "Acked",
    "BrokerAddress",
    "Connected",
    "Connection",
    "ConnectionLost",
    "Event",
    "HomeAssistantOnline",
    "Refused",
]

RECONNECT_MIN_SECONDS, RECONNECT_MAX_SECONDS = 1, 10
STOP_GRACE_SECONDS = 2.0  # at shutdown: how long the `offline` message and acks may take


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker is, how to speak to it, and who we are to it."""

    host: str
    port: int
    protocol: str  # "3.1.1" or "5"
    client_id: str
    keepalive_seconds: int = 60
    username: str | None = None
    password: str | None = None
    tls: ssl.SSLContext | None = None

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls is not None else 'mqtt'}://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Connected:
    """The broker accepted the connection."""


@dataclass(frozen=True, slots=True)
class Refused:
    """A connection attempt failed (network, TLS, or the broker said no), with the reason."""

    reason: str


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """An open connection ended."""

    reason: str


@dataclass(frozen=True, slots=True)
class Acked:
    """The broker has a message (QoS 1: PUBACK; QoS 0: written); `failure` if it refused."""

    mid: int
    failure: str | None


@dataclass(frozen=True, slots=True)
class HomeAssistantOnline:
    """Home Assistant (re)started: it wants discovery and states again."""


Event = Connected | Refused | ConnectionLost | Acked | HomeAssistantOnline


def describe_connect_error(exc: OSError, host: str) -> str:
    """A connection failure in words a person can act on."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: the broker's certificate is not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return f"unknown host {host!r}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "connection timed out"
    return exc.strerror or str(exc) or type(exc).__name__


class _Client(paho.Client):
    """paho's client, noting why a connection attempt raised before its loop swallows it."""

    on_connect_error: Callable[[OSError], None] | None = None

    def reconnect(self) -> MQTTErrorCode:
        """Connect again; tell `on_connect_error` why not before raising."""
        try:
            return super().reconnect()
        except OSError as exc:
            if self.on_connect_error is not None:
                self.on_connect_error(exc)
            raise


class Connection:
    """One broker connection, kept up by paho's thread; events wait in `events`."""

    def __init__(
        self,
        address: BrokerAddress,
        *,
        will_topic: str,
        ha_status_topic: str | None,
    ) -> None:
        self.address = address
        self.events: deque[Event] = deque()
        self.on_event: Callable[[], None] = lambda: None  # the publisher's wake-up
        self._ha_status_topic = ha_status_topic
        v5 = address.protocol == "5"
        client = _Client(
            CallbackAPIVersion.VERSION2,
            client_id=address.client_id,
            protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
            # A clean session either way: the outbox, not the broker, keeps what must not be
            # lost, and a persistent session would pile up messages for us at the broker.
            clean_session=None if v5 else True,
        )
        if address.username is not None:
            client.username_pw_set(address.username, address.password)
        if address.tls is not None:
            client.tls_set_context(address.tls)
        client.will_set(will_topic, OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_SECONDS, RECONNECT_MAX_SECONDS)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_connect_error = self._on_connect_error
        self._client = client

    def start(self) -> None:
        """Start paho's thread; it connects, and reconnects whenever the connection drops."""
        self._client.connect_async(
            self.address.host, self.address.port, keepalive=self.address.keepalive_seconds
        )
        self._client.loop_start()

    def publish(self, message: Message) -> tuple[int, str | None]:
        """Hand `message` to paho: (message id, None) or (id, why paho refused it at once).

        "not connected" is no refusal: paho keeps a QoS 1 message and sends it after the
        reconnect; a QoS 0 one is gone, which is what QoS 0 means.
        """
        info = self._client.publish(
            message.topic, message.payload, qos=message.qos, retain=message.retain
        )
        if info.rc in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            return info.mid, None
        return info.mid, paho.error_string(info.rc)

    def stop(self, goodbye: Message | None) -> None:
        """Publish `goodbye` (our `offline`, as the will would) if connected, then disconnect.

        A clean DISCONNECT makes the broker discard the will, so the goodbye takes its place.
        """
        if goodbye is not None and self._client.is_connected():
            info = self._client.publish(
                goodbye.topic, goodbye.payload, qos=goodbye.qos, retain=goodbye.retain
            )
            # RuntimeError: the connection went meanwhile; the broker publishes the will instead.
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(STOP_GRACE_SECONDS)
        self._client.disconnect()
        self._client.loop_stop()

    def _post(self, event: Event) -> None:
        self.events.append(event)
        self.on_event()

    def _on_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self._post(Refused(f"the broker refused the connection: {reason_code}"))
        else:
            if self._ha_status_topic is not None:
                # Here, on paho's thread, before any message can arrive for it.
                client.subscribe(self._ha_status_topic, qos=1)
            self._post(Connected())

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        reason = str(reason_code)
        self._post(ConnectionLost("connection lost" if reason == "Unspecified error" else reason))

    def _on_publish(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._post(Acked(mid, str(reason_code) if reason_code.is_failure else None))

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        if message.topic == self._ha_status_topic and message.payload.strip() == b"online":
            self._post(HomeAssistantOnline())

    def _on_connect_error(self, exc: OSError) -> None:
        self._post(Refused(describe_connect_error(exc, self.address.host)))
