"""The composition root: the one place that turns settings into objects.

`build` wires sensors, samplers, storage and the Monitor; `build_service` adds the HTTP app
serving it. The server, the CLI commands, the benchmarks and the tests all build here; tests
and benchmarks pass fakes in (a clock, a store, buses, a reading log). The API key file and
the data directory are read here (bootstrap.files) and nowhere below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, Unpack

import structlog

from energymon.bootstrap.files import check_data_dir, load_api_key, prepare_data_dir
from energymon.bootstrap.sensors import BusFactory, SensorGroup, build_sensors
from energymon.service.clock import Clock, SystemClock
from energymon.service.monitor import Monitor
from energymon.service.sampler import BusSampler
from energymon.service.timeline import Timeline
from energymon.service.writer import ReadingLog, StorageWriter
from energymon.settings import Settings
from energymon.storage.base import ReadingStore, StorageError, StoreOpener
from energymon.storage.sqlite import DB_FILENAME, open_sqlite_store

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = [
    "BusFactory",
    "Seams",
    "SensorGroup",
    "Service",
    "build",
    "build_sensors",
    "build_service",
    "check_startable",
    "load_api_key",
    "open_store",
    "prepare_data_dir",
]

log = structlog.get_logger("energymon.bootstrap")

DATABASE_NAME = DB_FILENAME


@dataclass(frozen=True, slots=True)
class Service:
    """A Monitor and the HTTP app serving it; the caller starts and stops the monitor."""

    monitor: Monitor
    app: FastAPI
    api_key_required: bool


def check_startable(settings: Settings) -> None:
    """What `serve` would refuse before it starts, found without starting or touching hardware:
    unknown drivers and profiles, an unusable API key file, an impossible data directory."""
    from energymon.drivers.fakebus import FakeBus

    build_sensors(settings, clock=SystemClock(), bus_factory=lambda number: FakeBus())
    load_api_key(settings)
    check_data_dir(settings.storage.data_dir)
    if settings.mqtt.enabled:
        from energymon.bootstrap.mqtt import check_mqtt

        check_mqtt(settings)


# The store backends by name; a new one is a package under storage/ and a line here.
STORE_BACKENDS: dict[str, StoreOpener] = {"sqlite": open_sqlite_store}
STORE_BACKEND = "sqlite"  # the one the service runs on (not a setting while there is one)


def open_store(settings: Settings) -> ReadingStore:
    """The STORE_BACKEND store under storage.data_dir, with the configured retention."""
    storage = settings.storage
    return STORE_BACKENDS[STORE_BACKEND](
        prepare_data_dir(settings),
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
    sampler_clock: Clock | None = None,
) -> Monitor:
    """Wire a Monitor from settings; tests override the clock, store, buses or CSV log.

    Args:
        sampler_clock: the samplers' clock when it is not `clock`: the benchmarks' burst mode
            jumps it while the writer flushes on the real clock.
    """
    clock = clock or SystemClock()
    sampler_clock = sampler_clock or clock
    groups = build_sensors(settings, clock=sampler_clock, bus_factory=bus_factory)
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
    timeline = Timeline(sampler_clock)  # one for every bus: a clock step is seen and logged once
    samplers: Sequence[BusSampler] = [
        BusSampler(
            group.name,
            group.channels,
            period_seconds=period,
            clock=sampler_clock,
            timeline=timeline,
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


class Seams(TypedDict, total=False):
    """What tests and benchmarks replace when they build: `build`'s keyword arguments."""

    clock: Clock
    sampler_clock: Clock
    store: ReadingStore
    bus_factory: BusFactory
    reading_log: ReadingLog
    csv_log: bool


def build_service(
    settings: Settings, *, sse_keepalive_seconds: float | None = None, **seams: Unpack[Seams]
) -> Service:
    """The Monitor of `build(settings, **seams)`, its MQTT publisher when `[mqtt]` is enabled
    (the runner starts and stops it), and the HTTP app serving it; tests shorten the event
    streams' keep-alive (None: the API's default).

    Raises ConfigError for an unusable API key before any sensor or file is touched.
    """
    # Imported here: the API pulls in FastAPI, which the commands that only build a Monitor
    # (read, import, export) need not load.
    from energymon.bootstrap.app import build_app

    api_key = load_api_key(settings)
    monitor = build(settings, **seams)
    if settings.mqtt.enabled:
        # Imported here: paho loads only for a service that publishes.
        from energymon.bootstrap.mqtt import build_publisher

        data_dir = prepare_data_dir(settings)
        monitor.runner.add_publisher(build_publisher(settings, monitor, data_dir))
    app = build_app(settings, monitor, api_key=api_key, sse_keepalive_seconds=sse_keepalive_seconds)
    return Service(monitor, app, api_key_required=api_key is not None)
