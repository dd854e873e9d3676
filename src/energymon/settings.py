"""The typed settings tree, loaded once from TOML with ENERGYMON_* environment overrides."""

from __future__ import annotations

import contextlib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from energymon.drivers.settings import ApplianceSettings, check_placement
from energymon.errors import ConfigError
from energymon.mqtt.settings import MqttSettings
from energymon.validation import describe_validation_error

__all__ = [
    "ApplianceSettings",
    "MqttSettings",
    "SamplingSettings",
    "ServerSettings",
    "Settings",
    "StorageSettings",
    "TariffSettings",
    "default_config_path",
    "load_settings",
    "settings_from_mapping",
    "system_timezone",
]

ENV_PREFIX = "ENERGYMON_"
DEFAULT_CONFIG_PATHS = (Path("config/energymon.toml"), Path("/etc/energymon/energymon.toml"))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    """Where the HTTP API listens and who may call it."""

    host: str = "0.0.0.0"
    port: int = Field(8000, ge=1, le=65535)
    cors_origins: list[str] = ["*"]
    api_key_file: Path | None = None
    access_log: bool = True


class SamplingSettings(_Section):
    """How often sensors are read (oversample_hz) and readings stored (interval_seconds)."""

    interval_seconds: float = Field(1.0, gt=0, le=3600)
    # 20 Hz measures a load switching on a 2.5 s cycle within 1 %; see DESIGN.md "Oversampling".
    oversample_hz: float = Field(20.0, gt=0, le=1000)
    # A longer stretch without a good sample books no energy. Default: 5 × the sample period.
    max_gap_seconds: float | None = Field(None, gt=0)

    @property
    def sample_period_seconds(self) -> float:
        """Seconds between two reads of one sensor (never longer than the storage interval)."""
        return min(1.0 / self.oversample_hz, self.interval_seconds)

    @property
    def effective_max_gap_seconds(self) -> float:
        """The configured max_gap, or 5 × the sampling interval."""
        if self.max_gap_seconds is not None:
            return self.max_gap_seconds
        return 5 * self.interval_seconds


class StorageSettings(_Section):
    """Where and how long readings are kept."""

    data_dir: Path = Path("/var/lib/energymon")
    retention_days: int = Field(7, ge=1, le=3660)
    minute_retention_days: int = Field(90, ge=1, le=3660)
    flush_interval_seconds: float = Field(10.0, gt=0, le=3600)
    # The seed's CSV timestamps have whole seconds: a row per second at the most.
    csv_interval_seconds: float = Field(60.0, ge=1, le=86400)
    # Readings kept in memory while the disk refuses writes (R5); oldest dropped beyond this.
    max_buffered_readings: int = Field(500_000, ge=1000)


class TariffSettings(_Section):
    """What a kWh costs, for the cost figures in daily stats and summaries."""

    price_per_kwh: float = Field(0.0, ge=0)
    currency: str = Field("EUR", min_length=1, max_length=8)


def system_timezone() -> str:
    """The IANA name of this machine's zone: $TZ, /etc/localtime's link, /etc/timezone, or UTC."""
    candidates: list[str] = []
    if tz_env := os.environ.get("TZ", "").lstrip(":"):
        candidates.append(tz_env)
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if _is_zone(name):
            return name
    return "UTC"


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class Settings(BaseSettings):
    """The whole configuration. Environment variables override the file (ENERGYMON_A__B)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    timezone: str | None = None
    api_key: SecretStr | None = None  # normally from ENERGYMON_API_KEY, not the file
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    server: ServerSettings = ServerSettings()
    sampling: SamplingSettings = SamplingSettings()
    storage: StorageSettings = StorageSettings()
    tariff: TariffSettings = TariffSettings()
    mqtt: MqttSettings = MqttSettings()
    appliances: list[ApplianceSettings] = Field(min_length=1, max_length=64)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment wins over the file's values, which come in as init arguments."""
        return (env_settings, init_settings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None and not _is_zone(name):
            raise ValueError(f'unknown IANA time zone {name!r} (e.g. "Europe/Berlin")')
        return name

    @model_validator(mode="after")
    def _appliances_distinct(self) -> Self:
        seen_ids: set[int] = set()
        for appliance in self.appliances:
            if appliance.id in seen_ids:
                raise ValueError(f"appliances: id {appliance.id} is used twice")
            seen_ids.add(appliance.id)
        check_placement(self.appliances)
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The zone whose local midnights bound the days of daily statistics."""
        return ZoneInfo(self.timezone or system_timezone())


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """$ENERGYMON_CONFIG, else ./config/energymon.toml, else /etc/energymon/energymon.toml."""
    env = os.environ if environ is None else environ
    if configured := env.get(f"{ENV_PREFIX}CONFIG"):
        return Path(configured)
    for candidate in DEFAULT_CONFIG_PATHS:
        if candidate.exists():
            return candidate
    return DEFAULT_CONFIG_PATHS[-1]


def load_settings(path: Path | str | None = None) -> Settings:
    """Read, validate and return the settings; ConfigError with one clear line otherwise."""
    config_path = Path(path) if path is not None else default_config_path()
    try:
        with config_path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"{config_path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc.strerror or exc}") from None
    settings = settings_from_mapping(data, source=str(config_path))
    return _resolve_relative_paths(settings, base=config_path.parent)


def _resolve_relative_paths(settings: Settings, *, base: Path) -> Settings:
    """Relative paths in a config file mean: relative to the file, not to the working directory."""
    storage = _resolve_paths(settings.storage, base, "data_dir")
    server = _resolve_paths(settings.server, base, "api_key_file")
    mqtt = _resolve_paths(settings.mqtt, base, "password_file")
    if mqtt.tls is not None:
        tls = _resolve_paths(mqtt.tls, base, "ca_file", "cert_file", "key_file")
        mqtt = mqtt.model_copy(update={"tls": tls})
    return settings.model_copy(update={"storage": storage, "server": server, "mqtt": mqtt})


_Model = TypeVar("_Model", bound=BaseModel)


def _resolve_paths(section: _Model, base: Path, *fields: str) -> _Model:
    """`section` with its relative path `fields` made relative to `base`."""
    update = {}
    for name in fields:
        path = getattr(section, name)
        if isinstance(path, Path) and not path.is_absolute():
            update[name] = (base / path).resolve()
    return section.model_copy(update=update) if update else section


def settings_from_mapping(data: Mapping[str, Any], *, source: str = "<settings>") -> Settings:
    """Validate a parsed TOML document (plus the environment) into Settings."""
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation_error(exc, data)}") from None
