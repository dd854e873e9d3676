"""The composition root: the one place that builds sensors, samplers, storage and the Monitor."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from energymon.domain.energy import WindowAccumulator
from energymon.drivers import registry
from energymon.drivers.base import SensorError, SensorSpec, SMBusLike
from energymon.errors import ConfigError
from energymon.service.clock import Clock, SystemClock, steady_time
from energymon.service.monitor import Monitor
from energymon.service.sampler import BusSampler, Channel
from energymon.service.timeline import Timeline
from energymon.service.writer import ReadingLog, StorageWriter
from energymon.settings import ApplianceSettings, Settings
from energymon.storage.base import ReadingStore, StorageError
from energymon.storage.sqlite import DB_FILENAME, SqliteStore

__all__ = [
    "BusFactory",
    "SensorGroup",
    "build",
    "build_sensors",
    "check_startable",
    "open_store",
    "prepare_data_dir",
]

log = structlog.get_logger("energymon.bootstrap")

BusFactory = Callable[[int], SMBusLike]
DATABASE_NAME = DB_FILENAME


@dataclass(frozen=True, slots=True)
class SensorGroup:
    """The channels sharing one bus (a real /dev/i2c-N or one FakeBus of simulated chips)."""

    name: str
    bus: SMBusLike
    channels: list[Channel]


class _UnavailableBus:
    """Stands in for a bus that could not be opened: every transfer fails with the reason."""

    def __init__(self, error: SensorError) -> None:
        self.error = error

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        raise self.error

    def write_word_data(
        self, i2c_addr: int, register: int, value: int, force: bool | None = None
    ) -> None:
        raise self.error

    def close(self) -> None:
        """Nothing to release."""


def _open_real_bus(number: int) -> SMBusLike:
    from energymon.drivers.bus import open_bus

    try:
        return open_bus(number)
    except SensorError as exc:
        # The service still starts: those appliances report the reason as offline.
        return _UnavailableBus(exc)


def _spec(appliance: ApplianceSettings) -> SensorSpec:
    simulation = appliance.simulation.model_dump(exclude_none=True) if appliance.simulation else {}
    return SensorSpec(
        name=appliance.name,
        bus=appliance.bus,
        address=appliance.address,
        shunt_ohms=appliance.shunt_ohms,
        max_expected_amps=appliance.max_expected_amps,
        bus_voltage_range=appliance.bus_voltage_range,
        simulation=simulation,
    )


def build_sensors(
    settings: Settings, *, clock: Clock, bus_factory: BusFactory | None = None
) -> list[SensorGroup]:
    """One group of channels per bus; no I/O on the sensors yet."""
    from energymon.drivers.fakebus import FakeBus

    open_real = bus_factory or _open_real_bus
    sampling = settings.sampling
    physical_time = steady_time(clock)  # simulated chips do not follow the wall clock's steps
    groups: dict[tuple[bool, int], SensorGroup] = {}
    for index, appliance in enumerate(settings.appliances):
        try:
            driver = registry.get(appliance.driver)
        except ConfigError as exc:
            raise ConfigError(f"appliances[{index}].driver ({appliance.name}): {exc}") from None
        key = (driver.simulated, appliance.bus)
        if key not in groups:
            bus = FakeBus() if driver.simulated else open_real(appliance.bus)
            name = f"{'sim' if driver.simulated else 'i2c'}-{appliance.bus}"
            groups[key] = SensorGroup(name, bus, [])
        group = groups[key]
        try:
            sensor = driver.create(_spec(appliance), group.bus, physical_time)
        except ValueError as exc:
            raise ConfigError(f"appliance {appliance.name!r}: {exc}") from exc
        accumulator = WindowAccumulator(
            appliance.id, sampling.interval_seconds, sampling.effective_max_gap_seconds
        )
        group.channels.append(
            Channel(appliance.id, appliance.name, sensor, accumulator, appliance.calibration_factor)
        )
    return list(groups.values())


_PERMISSION_HINT = " (run as a user that may write there, or set storage.data_dir)"


def prepare_data_dir(settings: Settings) -> Path:
    """Create the data directory (and logs/ in it); ConfigError naming it when impossible."""
    data_dir = settings.storage.data_dir
    _check_data_dir(data_dir)
    try:
        (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"storage.data_dir: {_cannot(data_dir)} {data_dir}: {reason}"
            + (_PERMISSION_HINT if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else "")
        ) from exc
    return data_dir


def _visible(path: Path) -> bool:
    try:
        path.stat()
    except OSError:  # missing, or behind a directory this user may not search
        return False
    return True


def _cannot(data_dir: Path) -> str:
    # A directory that exists already was not to be created: what fails is writing in it.
    return "cannot write" if _visible(data_dir) else "cannot create"


def _check_data_dir(data_dir: Path) -> None:
    """ConfigError when data_dir cannot be created or written, without creating it."""
    existing = data_dir
    while not _visible(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(
            f"storage.data_dir: {_cannot(data_dir)} {data_dir}: {existing} is not a directory"
        )
    if not os.access(existing, os.W_OK | os.X_OK, effective_ids=True):
        raise ConfigError(
            f"storage.data_dir: {_cannot(data_dir)} {data_dir}: {existing} is not writable"
            + _PERMISSION_HINT
        )


def check_startable(settings: Settings) -> None:
    """What `serve` would refuse before it starts, found without starting or touching hardware:
    unknown drivers and profiles, an unusable API key file, an impossible data directory."""
    from energymon.api.security import load_api_key
    from energymon.drivers.fakebus import FakeBus

    build_sensors(settings, clock=SystemClock(), bus_factory=lambda number: FakeBus())
    load_api_key(settings)
    _check_data_dir(settings.storage.data_dir)


def open_store(settings: Settings) -> ReadingStore:
    """The SQLite store under storage.data_dir."""
    data_dir = prepare_data_dir(settings)
    storage = settings.storage
    return SqliteStore(
        data_dir / DATABASE_NAME,
        zone=settings.zone,
        retention_days=storage.retention_days,
        minute_retention_days=storage.minute_retention_days,
        max_buffered_readings=storage.max_buffered_readings,
    )


def _open_csv_log(settings: Settings) -> ReadingLog:
    from energymon.storage.seedlog import CsvLog

    storage = settings.storage
    return CsvLog(
        prepare_data_dir(settings) / "logs",
        zone=settings.zone,
        interval_seconds=storage.csv_interval_seconds,
        retention_days=storage.retention_days,
    )


def _report_removed_appliances(settings: Settings, store: ReadingStore) -> None:
    """Record the configured names; log each stored appliance the configuration dropped."""
    try:
        removed = store.describe_appliances({a.id: a.name for a in settings.appliances})
    except StorageError as exc:  # the flushes will report (and retry) a store that fails
        log.error("could not record the appliances' names", error=str(exc))
        return
    for appliance in removed:
        log.warning(
            "appliance not in the configuration; its stored data is kept",
            appliance_id=appliance.appliance_id,
            name=appliance.name,
            readings=appliance.readings,
            energy_kwh=round(appliance.energy_wh / 1000, 6),  # to the mWh
        )


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    store: ReadingStore | None = None,
    bus_factory: BusFactory | None = None,
    reading_log: ReadingLog | None = None,
    csv_log: bool = True,
) -> Monitor:
    """Wire a Monitor from settings; tests override the clock, store, buses or CSV log."""
    clock = clock or SystemClock()
    groups = build_sensors(settings, clock=clock, bus_factory=bus_factory)
    store = store if store is not None else open_store(settings)
    _report_removed_appliances(settings, store)
    if reading_log is None and csv_log:
        reading_log = _open_csv_log(settings)
    writer = StorageWriter(
        store,
        flush_interval_seconds=settings.storage.flush_interval_seconds,
        clock=clock,
        reading_log=reading_log,
    )
    period = settings.sampling.sample_period_seconds
    timeline = Timeline(clock)  # one for every bus: a clock step is seen and logged once
    samplers: Sequence[BusSampler] = [
        BusSampler(
            group.name, group.channels, period_seconds=period, clock=clock, timeline=timeline
        )
        for group in groups
    ]
    return Monitor(
        settings,
        samplers=samplers,
        store=store,
        writer=writer,
        clock=clock,
        timeline=timeline,
        buses=[group.bus for group in groups],
    )
