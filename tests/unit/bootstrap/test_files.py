"""Where the API key comes from: the environment, else the key file, else an open API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from energymon.bootstrap import load_api_key
from energymon.errors import ConfigError
from energymon.settings import Settings, settings_from_mapping

APPLIANCE = {"id": 1, "name": "Fridge", "driver": "simulated", "address": 0x40}


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENERGYMON_API_KEY", raising=False)


def _settings(**server: Any) -> Settings:
    return settings_from_mapping({"server": server, "appliances": [APPLIANCE]})


def test_no_key_configured_means_an_open_api() -> None:
    """Without variable or file there is no key."""
    assert load_api_key(_settings()) is None


def test_key_file_is_read_and_stripped(tmp_path: Path) -> None:
    """The file's content without surrounding whitespace is the key."""
    key_file = tmp_path / "api_key"
    key_file.write_text("  hunter2\n", encoding="utf-8")
    assert load_api_key(_settings(api_key_file=str(key_file))) == b"hunter2"


def test_environment_key_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENERGYMON_API_KEY takes precedence over server.api_key_file."""
    key_file = tmp_path / "api_key"
    key_file.write_text("from-file", encoding="utf-8")
    monkeypatch.setenv("ENERGYMON_API_KEY", "from-env")
    assert load_api_key(_settings(api_key_file=str(key_file))) == b"from-env"


def test_unreadable_key_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    """A missing file stops startup with the path in the message."""
    missing = tmp_path / "absent"
    with pytest.raises(ConfigError, match=r"api_key_file .*absent"):
        load_api_key(_settings(api_key_file=str(missing)))


def test_empty_key_file_is_a_config_error(tmp_path: Path) -> None:
    """An empty file would silently mean an open API: refuse it."""
    key_file = tmp_path / "api_key"
    key_file.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="empty"):
        load_api_key(_settings(api_key_file=str(key_file)))
