"""The MQTT publisher from `[mqtt]`: the files it needs are read here, and nowhere below.

- The device id: `mqtt.device_id`, else derived from /etc/machine-id. Not the machine id itself:
  machine-id(5) asks applications not to expose it, so it is hashed with an application key
  (HMAC-SHA256, as systemd's sd_id128_get_machine_app_specific does) and cut to 12 hex digits.
  Stable for the life of the OS installation, distinct per Pi, the same after reinstalling
  energymon; a new SD card image gets a new one (set `device_id` to keep HA's entities).
- The password: `mqtt.password` (better `ENERGYMON_MQTT__PASSWORD`) or `mqtt.password_file`.
- TLS: an `ssl.SSLContext` built from the CA, certificate and key files.

Each failure is a ConfigError naming the key, found by `check-config` before `serve` starts.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import ssl
from pathlib import Path

from energymon.errors import ConfigError
from energymon.mqtt.announced import ANNOUNCED_FILENAME
from energymon.mqtt.connection import BrokerAddress, Connection
from energymon.mqtt.discovery import DeviceInfo
from energymon.mqtt.outbox import OUTBOX_FILENAME, Outbox, OutboxError
from energymon.mqtt.publisher import MqttPublisher, PublisherSettings
from energymon.mqtt.settings import MqttSettings, MqttTlsSettings
from energymon.mqtt.topics import Topics
from energymon.service.monitor import Monitor
from energymon.settings import Settings

__all__ = ["MACHINE_ID_PATHS", "broker_address", "build_publisher", "check_mqtt", "device_id"]

MACHINE_ID_PATHS = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
_APP_KEY = b"energymon mqtt device id"


def device_id(mqtt: MqttSettings, machine_id_paths: tuple[Path, ...] = MACHINE_ID_PATHS) -> str:
    """`mqtt.device_id`, else 12 hex digits of HMAC-SHA256(machine id, energymon's key)."""
    if mqtt.device_id is not None:
        return mqtt.device_id
    for path in machine_id_paths:
        try:
            machine_id = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if machine_id:
            return hmac.new(machine_id.encode(), _APP_KEY, hashlib.sha256).hexdigest()[:12]
    names = " or ".join(str(p) for p in machine_id_paths)
    raise ConfigError(f"mqtt.device_id: not set, and no {names} to derive it from; set it")


def _password(mqtt: MqttSettings) -> str | None:
    if mqtt.password is not None:
        return mqtt.password.get_secret_value()
    path = mqtt.password_file
    if path is None:
        return None
    try:
        password = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"mqtt.password_file {path}: cannot read: {reason}") from exc
    if not password:
        raise ConfigError(f"mqtt.password_file {path}: the file is empty")
    return password


def _tls_context(tls: MqttTlsSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    try:
        if tls.ca_file is not None:
            context.load_verify_locations(cafile=str(tls.ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"mqtt.tls.ca_file {tls.ca_file}: {_reason(exc)}") from exc
    try:
        if tls.cert_file is not None:
            context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"mqtt.tls.cert_file {tls.cert_file} / key_file {tls.key_file}: {_reason(exc)}"
        ) from exc
    if not tls.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _reason(exc: OSError | ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLError):
        return f"not a usable certificate or key ({exc.reason or exc})"
    return f"cannot read: {exc.strerror or exc}"


def broker_address(settings: Settings, the_device_id: str) -> BrokerAddress:
    """Host, port, protocol, credentials and TLS context from `[mqtt]`, files read."""
    mqtt = settings.mqtt
    return BrokerAddress(
        host=mqtt.host,
        port=mqtt.effective_port,
        protocol=mqtt.protocol,
        client_id=mqtt.client_id or f"energymon-{the_device_id}",
        keepalive_seconds=mqtt.keepalive_seconds,
        username=mqtt.username,
        password=_password(mqtt),
        tls=None if mqtt.tls is None else _tls_context(mqtt.tls),
    )


def check_mqtt(settings: Settings) -> None:
    """What `serve` would refuse in `[mqtt]`: a missing device id, password or TLS file."""
    if settings.mqtt.enabled:
        broker_address(settings, device_id(settings.mqtt))


def _configuration_url(settings: Settings, hostname: str) -> str:
    """The dashboard as Home Assistant's device page links to it."""
    if settings.mqtt.configuration_url is not None:
        return settings.mqtt.configuration_url
    host = settings.server.host
    if host in ("0.0.0.0", "::", ""):
        host = hostname
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.server.port}/"


def build_publisher(
    settings: Settings,
    monitor: Monitor,
    data_dir: Path,
    *,
    machine_id_paths: tuple[Path, ...] = MACHINE_ID_PATHS,
    hostname: str | None = None,
) -> MqttPublisher:
    """The publisher for `monitor`, its outbox in `data_dir`; the runner starts it."""
    mqtt = settings.mqtt
    the_device_id = device_id(mqtt, machine_id_paths)
    hostname = hostname or socket.gethostname()
    topics = Topics(
        base=mqtt.base_topic or f"energymon/{the_device_id}",
        discovery_prefix=mqtt.discovery_prefix,
        device_id=the_device_id,
    )
    outbox = None
    if mqtt.readings:
        try:
            outbox = Outbox(data_dir / OUTBOX_FILENAME, max_readings=mqtt.outbox_max_readings)
        except OutboxError as exc:
            raise ConfigError(f"mqtt: {exc}") from exc
    connection = Connection(
        broker_address(settings, the_device_id),
        will_topic=topics.availability,
        ha_status_topic=topics.ha_status if mqtt.discovery else None,
    )
    return MqttPublisher(
        connection=connection,
        topics=topics,
        device=DeviceInfo(
            device_id=the_device_id,
            name=mqtt.device_name or f"energymon {hostname}",
            configuration_url=_configuration_url(settings, hostname),
        ),
        appliances=[(a.id, a.name) for a in settings.appliances],
        states=monitor.queries,
        subscribe=monitor.runner.subscribe,
        outbox=outbox,
        announced_path=data_dir / ANNOUNCED_FILENAME,
        settings=PublisherSettings(
            discovery=mqtt.discovery,
            state_interval_seconds=mqtt.state_interval_seconds,
            batch_interval_seconds=settings.storage.flush_interval_seconds,
        ),
    )
