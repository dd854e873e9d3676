"""`[mqtt]`: off by default, validated with messages that name the key, files read at the root."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest

from energymon.bootstrap.mqtt import broker_address, device_id
from energymon.errors import ConfigError
from energymon.settings import load_settings, settings_from_mapping

APPLIANCES = [{"id": 1, "name": "Fridge", "driver": "simulated"}]


def _settings(**mqtt: Any) -> Any:
    return settings_from_mapping({"appliances": APPLIANCES, "mqtt": mqtt}, source="test.toml")


def test_off_by_default_with_documented_defaults() -> None:
    """Without [mqtt] nothing publishes; the port follows TLS."""
    settings = settings_from_mapping({"appliances": APPLIANCES})
    assert not settings.mqtt.enabled
    assert settings.mqtt.effective_port == 1883
    assert settings.mqtt.state_interval_seconds == 10.0
    assert settings.mqtt.discovery_prefix == "homeassistant"
    assert _settings(tls={}).mqtt.effective_port == 8883


@pytest.mark.parametrize(
    ("mqtt", "message"),
    [
        ({"base_topic": "energymon/#"}, "mqtt.base_topic: must not contain the wildcards"),
        ({"discovery_prefix": "/ha"}, "mqtt.discovery_prefix: must not start or end with /"),
        ({"device_id": "my pi"}, "mqtt.device_id: must be 1-64 letters"),
        ({"password": "x"}, "mqtt: a password needs a username"),
        ({"username": "u", "password": "x", "password_file": "p"}, "not both"),
        ({"tls": {"cert_file": "c.pem"}}, "mqtt.tls: cert_file and key_file go together"),
        ({"state_interval_seconds": 0}, "mqtt.state_interval_seconds"),
        ({"hots": "broker"}, "mqtt.hots: unknown key"),
    ],
)
def test_bad_values_name_the_key(mqtt: dict[str, Any], message: str) -> None:
    """Each mistake is one ConfigError naming the file and the key."""
    with pytest.raises(ConfigError, match=r"test\.toml") as caught:
        _settings(**mqtt)
    assert message in str(caught.value)


def test_relative_files_are_relative_to_the_config_file(tmp_path: Path) -> None:
    """password_file and the TLS files resolve against the configuration's folder."""
    config = tmp_path / "energymon.toml"
    config.write_text(
        '[mqtt]\nusername = "u"\npassword_file = "secret"\n[mqtt.tls]\nca_file = "ca.pem"\n'
        '[[appliances]]\nid = 1\nname = "Fridge"\ndriver = "simulated"\n'
    )
    mqtt = load_settings(config).mqtt
    assert mqtt.password_file == tmp_path / "secret"
    assert mqtt.tls is not None
    assert mqtt.tls.ca_file == tmp_path / "ca.pem"


def test_device_id_is_an_app_specific_hash_of_the_machine_id(tmp_path: Path) -> None:
    """Derived, stable, 12 hex digits, and not the machine id itself; a configured one wins."""
    machine_id = tmp_path / "machine-id"
    machine_id.write_text("0123456789abcdef0123456789abcdef\n")
    derived = device_id(_settings().mqtt, (machine_id,))
    expected = hmac.new(
        b"0123456789abcdef0123456789abcdef", b"energymon mqtt device id", hashlib.sha256
    ).hexdigest()[:12]
    assert derived == expected
    assert derived not in machine_id.read_text()
    assert device_id(_settings(device_id="garage").mqtt, (machine_id,)) == "garage"
    with pytest.raises(ConfigError, match=r"mqtt\.device_id: not set"):
        device_id(_settings().mqtt, (tmp_path / "missing",))


def test_password_file_is_read_and_a_missing_one_is_a_config_error(tmp_path: Path) -> None:
    """The password comes from its file without the newline; an unreadable file is named."""
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    settings = _settings(username="pi", password_file=str(secret))
    assert broker_address(settings, "abc").password == "s3cret"
    missing = _settings(username="pi", password_file=str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match=r"mqtt\.password_file .*nope: cannot read"):
        broker_address(missing, "abc")


def test_an_unreadable_ca_file_is_a_config_error(tmp_path: Path) -> None:
    """A TLS file that is not there stops the start with its key named."""
    settings = _settings(tls={"ca_file": str(tmp_path / "ca.pem")})
    with pytest.raises(ConfigError, match=r"mqtt\.tls\.ca_file .*ca\.pem: cannot read"):
        broker_address(settings, "abc")
