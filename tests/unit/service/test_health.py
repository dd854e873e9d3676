"""The health states: what makes the service degraded or unhealthy, and when to feed systemd."""

from __future__ import annotations

import dataclasses

from energymon.domain.model import ApplianceStatus
from energymon.service.health import RECENT_STEP_SECONDS, HealthStatus, Parts, Verdict, assess
from energymon.service.views import (
    ApplianceView,
    ClockView,
    PublisherView,
    SamplerView,
    WriterView,
)
from energymon.storage.base import StoreHealth

OK_APPLIANCE = ApplianceView(
    id=1,
    name="battery",
    driver="ina219",
    bus=1,
    address=0x40,
    status=ApplianceStatus.OK,
    last_error=None,
    error_count=0,
    overflow_count=0,
    last_sample_age_seconds=0.01,
    last_reading=None,
)
OFFLINE_APPLIANCE = dataclasses.replace(
    OK_APPLIANCE, id=2, name="solar", status=ApplianceStatus.OFFLINE, last_error="no ACK"
)
SAMPLER = SamplerView("i2c-1", 0.05, 100, 0, 0.001, 0.002, 0.002, 0.01, stuck=False)
STORE = StoreHealth(last_flush_ms=1, pending_readings=3, dropped_readings=0, last_error=None)
WRITER = WriterView(
    flushes=5, failed_flushes=0, last_attempt_age_seconds=1.0, stuck=False, csv_log_error=None
)
CLOCK = ClockView(steps=0, last_step_seconds=None, last_step_at_ms=None, last_step_age_seconds=None)


PARTS = Parts(
    appliances=[OK_APPLIANCE, dataclasses.replace(OK_APPLIANCE, id=2)],
    samplers=[SAMPLER],
    storage=STORE,
    writer=WRITER,
    clock=CLOCK,
)


def _assess(running: bool = True, **changes: object) -> Verdict:
    return assess(dataclasses.replace(PARTS, **changes), running=running)


def test_all_well_is_ok_without_reasons() -> None:
    """Every part well: ok, no reasons, watchdog fed."""
    assert _assess() == Verdict(HealthStatus.OK, [], alive=True)


def test_one_sensor_offline_is_degraded_and_names_it() -> None:
    """Some sensors offline: still recording the others, so degraded with the sensor's reason."""
    verdict = _assess(appliances=[OK_APPLIANCE, OFFLINE_APPLIANCE])
    assert verdict.status is HealthStatus.DEGRADED
    assert verdict.reasons == ["sensor of solar (id 2) is offline: no ACK"]


def test_every_sensor_offline_is_unhealthy_but_keeps_the_watchdog_fed() -> None:
    """Nothing can be recorded, yet a restart would not bring the sensors back."""
    verdict = _assess(appliances=[OFFLINE_APPLIANCE])
    assert verdict.status is HealthStatus.UNHEALTHY
    assert verdict.reasons == ["every sensor is offline"]
    assert verdict.alive


def test_failing_storage_is_unhealthy_but_a_restart_would_lose_the_buffer() -> None:
    """A refused write: unhealthy with the error, watchdog still fed (readings wait in memory)."""
    verdict = _assess(storage=dataclasses.replace(STORE, last_error="disk I/O error"))
    assert verdict.status is HealthStatus.UNHEALTHY
    assert verdict.reasons == ["storage cannot write: disk I/O error"]
    assert verdict.alive


def test_a_hung_thread_starves_the_watchdog() -> None:
    """A stuck writer or sampler: unhealthy, and systemd may restart the process."""
    writer = _assess(writer=dataclasses.replace(WRITER, stuck=True))
    sampler = _assess(samplers=[dataclasses.replace(SAMPLER, stuck=True)])
    assert (writer.status, writer.alive) == (HealthStatus.UNHEALTHY, False)
    assert (sampler.status, sampler.alive) == (HealthStatus.UNHEALTHY, False)
    assert sampler.reasons == ["sampler i2c-1 is stuck"]


def test_a_recent_clock_step_is_degraded_until_it_ages() -> None:
    """A wall-clock step shows for RECENT_STEP_SECONDS, then the state is ok again."""
    recent = ClockView(1, -3600.0, 1, 10.0)
    old = dataclasses.replace(recent, last_step_age_seconds=RECENT_STEP_SECONDS + 1)
    assert _assess(clock=recent).reasons == ["wall clock stepped by -3600.0 s 10 s ago"]
    assert _assess(clock=recent).status is HealthStatus.DEGRADED
    assert _assess(clock=old).status is HealthStatus.OK


def test_csv_log_trouble_and_dropped_readings_are_degraded() -> None:
    """The database records, but the CSV log fails or readings were dropped: degraded."""
    csv = _assess(writer=dataclasses.replace(WRITER, csv_log_error="No space left on device"))
    dropped = _assess(storage=dataclasses.replace(STORE, dropped_readings=12))
    assert csv.status is dropped.status is HealthStatus.DEGRADED
    assert dropped.reasons == ["12 readings dropped since start while storage refused writes"]


def test_a_stopped_monitor_is_unhealthy_and_not_alive() -> None:
    """Not running: nothing is recorded and nothing makes progress."""
    verdict = _assess(running=False)
    assert verdict.status is HealthStatus.UNHEALTHY
    assert not verdict.alive


MQTT = PublisherView(
    name="mqtt",
    target="mqtt://broker:1883",
    connected=True,
    last_error=None,
    queued_readings=0,
    published=10,
    failed=0,
    reconnects=0,
    dropped_readings=0,
)


def test_a_broker_away_is_degraded_with_its_reason_never_unhealthy() -> None:
    """MQTT down or refusing: recording goes on, so degraded, and the watchdog is fed."""
    away = dataclasses.replace(MQTT, connected=False, last_error="Connection refused")
    assert _assess(publishers=[MQTT]) == Verdict(HealthStatus.OK, [], alive=True)
    verdict = _assess(publishers=[away])
    assert verdict == Verdict(
        HealthStatus.DEGRADED,
        ["mqtt mqtt://broker:1883 not connected: Connection refused"],
        alive=True,
    )


def test_readings_a_publisher_dropped_are_a_reason() -> None:
    """Readings given up past the outbox's bound keep the state degraded, with the count."""
    verdict = _assess(publishers=[dataclasses.replace(MQTT, dropped_readings=42)])
    assert verdict.status is HealthStatus.DEGRADED
    assert verdict.reasons == ["mqtt: 42 readings dropped since start"]
