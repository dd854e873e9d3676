"""Settings: loading TOML, environment overrides, and validation messages that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from energymon.errors import ConfigError
from energymon.settings import default_config_path, load_settings

REPO = Path(__file__).resolve().parents[2]

APPLIANCE = """
[[appliances]]
id = {id}
name = "{name}"
driver = "simulated"
bus = 1
address = {address}
shunt_ohms = {shunt}
max_expected_amps = {amps}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "energymon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _appliance(
    id: int = 1, name: str = "Fridge", address: str = "0x40", shunt: float = 0.1, amps: float = 3.2
) -> str:
    return APPLIANCE.format(id=id, name=name, address=address, shunt=shunt, amps=amps)


@pytest.mark.parametrize("name", ["energymon.toml", "energymon.pi.toml"])
def test_shipped_configs_load(name: str) -> None:
    """Both shipped configuration files are valid and list three DC loads (an INA219 measures
    DC up to 26 V: the examples never suggest wiring it to a mains appliance) at the seed's
    three addresses."""
    settings = load_settings(REPO / "config" / name)
    assert [a.name for a in settings.appliances] == [
        "Fridge compressor",
        "Solar charger",
        "Water pump",
    ]
    assert [a.address for a in settings.appliances] == [0x40, 0x41, 0x44]
    text = (REPO / "config" / name).read_text(encoding="utf-8")
    assert "DC up to 26 V" in text


def test_defaults_and_relative_data_dir(tmp_path: Path) -> None:
    """Unset keys take documented defaults; a relative data_dir is relative to the file."""
    settings = load_settings(_write(tmp_path, '[storage]\ndata_dir = "data"\n' + _appliance()))
    assert settings.server.port == 8000
    assert settings.sampling.interval_seconds == 1.0
    assert settings.sampling.effective_max_gap_seconds == 5.0
    assert settings.storage.retention_days == 7
    assert settings.storage.data_dir == (tmp_path / "data").resolve()


def test_environment_overrides_nested_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENERGYMON_SERVER__PORT overrides [server] port from the file."""
    monkeypatch.setenv("ENERGYMON_SERVER__PORT", "8080")
    monkeypatch.setenv("ENERGYMON_API_KEY", "s3cret")
    settings = load_settings(_write(tmp_path, "[server]\nport = 9000\n" + _appliance()))
    assert settings.server.port == 8080
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "s3cret"


def test_config_path_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """ENERGYMON_CONFIG names the file when --config is not given."""
    assert default_config_path({"ENERGYMON_CONFIG": "/x/y.toml"}) == Path("/x/y.toml")


def test_three_point_two_amps_on_a_tenth_of_an_ohm_fits() -> None:
    """3.2 A × 0.1 Ω is exactly the ±320 mV range despite floating point."""
    from energymon.settings import settings_from_mapping

    settings = settings_from_mapping(
        {"appliances": [{"id": 1, "name": "a", "shunt_ohms": 0.1, "max_expected_amps": 3.2}]}
    )
    assert settings.appliances[0].max_expected_amps == 3.2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_appliance() + "bogus = 1\n", "appliances[0].bogus (Fridge): unknown key"),
        ("colour = 'red'\n" + _appliance(), "colour: unknown key"),
        (_appliance() + _appliance(name="Oven", address="0x41"), "id 1 is used twice"),
        (_appliance() + _appliance(id=2, name="Oven"), "both on bus 1 at address 0x40"),
        (_appliance(address="0x60"), "appliances[0].address (Fridge): must be between 0x40"),
        (_appliance(shunt=0.0), "appliances[0].shunt_ohms (Fridge)"),
        (_appliance(amps=3.3), "exceeds the INA219's ±320 mV range"),
        ("[sampling]\ninterval_seconds = 0\n" + _appliance(), "sampling.interval_seconds"),
        ('timezone = "Mars/Olympus"\n' + _appliance(), "unknown IANA time zone 'Mars/Olympus'"),
        ("[server]\nport = 70000\n" + _appliance(), "server.port"),
        ("[server]\n", "appliances: required key is missing"),
        ("[[appliances]\nid = 1\n", "not valid TOML"),
    ],
)
def test_bad_configuration_is_one_line_naming_the_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    """Each broken configuration raises ConfigError with one line naming file and key."""
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message


def test_missing_file_is_named(tmp_path: Path) -> None:
    """A missing file is reported by its path."""
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings(tmp_path / "nope.toml")
