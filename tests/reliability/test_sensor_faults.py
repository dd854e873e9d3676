"""R2: faults of the simulated chip isolate one appliance, book no energy and heal by themselves.

The real INA219 driver runs against SimulatedINA219 chips on a fake bus, in-process behind the
real app (tests.e2e.fakes.running_app). Each fault is injected through the chip's own fault
switches: NACKs, unplugging, brown-outs, a frozen ADC and math overflow.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from energymon.domain.model import Gap
from energymon.drivers.fakebus import SimulatedINA219
from energymon.drivers.profiles import make_profile
from tests.e2e.fakes import InProcess
from tests.e2e.support import APPLIANCES, wait_until
from tests.reliability.support import (
    APPLIANCE_IDS,
    Budget,
    Figures,
    counter_by_appliance,
    lifetime_wh,
    metric_families,
)
from tests.support.fakes import ChipWire

ADDRESSES = {a["id"]: a["address"] for a in APPLIANCES}
INTERVAL_SECONDS = 0.1  # tests.e2e.support.config_mapping's storage interval
# The sampler retries an offline sensor after 0.5 s doubling to 30 s: recovery comes within that.
RECOVERY_TIMEOUT_SECONDS = 35.0
OFFLINE_TIMEOUT_SECONDS = 5.0
CONSTANT_WATTS = 12.0  # the "constant" profile: 1 A at 12 V


class LooseWire(ChipWire):
    """Between the bus and a chip: each transaction is refused (the chip NACKs) at `rate`."""

    def __init__(self, chip: SimulatedINA219, seed: int) -> None:
        super().__init__(chip)
        self.simulated = chip
        self.rate = 0.0
        self.nacks = 0
        self._rng = random.Random(seed)

    def before_transaction(self) -> None:
        """Make the chip refuse the next transaction, at `rate`."""
        if self._rng.random() < self.rate:
            self.nacks += 1
            self.simulated.nack(1)  # the chip itself refuses the next transaction


def _health(app: InProcess) -> dict[str, Any]:
    response = app.client.get("/health")
    assert response.status_code == 200, "a sensor fault must not make the service unhealthy"
    body: dict[str, Any] = response.json()
    return body


def _state(app: InProcess, appliance_id: int) -> dict[str, Any]:
    return next(a for a in _health(app)["appliances"] if a["id"] == appliance_id)


def _energy_status(app: InProcess, appliance_id: int) -> int:
    return app.client.get("/energy", params={"applianceId": appliance_id}).status_code


def _watch_others(app: InProcess, affected: int, seconds: float) -> set[str]:
    """Poll for `seconds`: the other appliances stay ok; returns the states `affected` showed."""
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        states = {a["id"]: a["status"] for a in _health(app)["appliances"]}
        others = {i: s for i, s in states.items() if i != affected}
        assert set(others.values()) == {"ok"}, f"fault on {affected} spread: {states}"
        seen.add(states[affected])
        time.sleep(0.02)
    return seen


def _recovered(app: InProcess, appliance_id: int) -> Callable[[], bool]:
    return lambda: (
        _energy_status(app, appliance_id) == 200 and (_state(app, appliance_id)["status"] == "ok")
    )


def _gaps(app: InProcess, appliance_id: int, start_s: float, end_s: float) -> list[Gap]:
    store = app.monitor.runner.store
    return store.gaps_between(round(start_s * 1000), round(end_s * 1000), appliance_id)


def test_unplugged_sensor_is_offline_alone_books_no_energy_and_comes_back(
    in_process: InProcess,
) -> None:
    """A chip that disappears: 503 and /health say why for it alone, its energy stops, a gap
    spans the outage, /metrics counts the errors, and it recovers when plugged back."""
    affected = 2
    chip = in_process.chips[affected]
    removed_at = time.time()
    chip.remove()
    wait_until(
        lambda: _energy_status(in_process, affected) == 503, OFFLINE_TIMEOUT_SECONDS, "offline"
    )
    offline = in_process.client.get("/energy", params={"applianceId": affected})
    assert "0x41" in offline.json()["detail"]
    health = _health(in_process)
    assert health["status"] == "degraded"
    reason = _state(in_process, affected)["last_error"]
    assert "0x41" in reason
    assert "no ACK" in reason or "Remote I/O" in reason

    _wait_intervals(in_process, 2)  # the window open at the failure closes
    before_wh = lifetime_wh(in_process.client)[affected]
    assert _watch_others(in_process, affected, 0.6) == {"offline"}
    during_wh = lifetime_wh(in_process.client)[affected]
    assert during_wh == pytest.approx(before_wh, abs=1e-12), "energy booked while unplugged"
    families = metric_families(in_process.client)
    assert counter_by_appliance(families, "energymon_sensor_up")[affected] == 0.0
    errors = counter_by_appliance(families, "energymon_sensor_errors")
    assert errors[affected] >= 1
    assert errors[affected] == _state(in_process, affected)["error_count"]
    assert {errors[i] for i in APPLIANCE_IDS if i != affected} == {0.0}

    restored_at = time.time()
    chip.restore()
    wait_until(_recovered(in_process, affected), RECOVERY_TIMEOUT_SECONDS, "recovery by itself")
    assert _health(in_process)["status"] == "ok"
    spanning = [
        g
        for g in _gaps(in_process, affected, removed_at - 1, time.time())
        if g.start_ms <= removed_at * 1000 and g.end_ms >= restored_at * 1000
    ]
    assert spanning, "no gap recorded across the outage"


def test_nacks_at_a_low_rate_are_absorbed_by_retries(in_process: InProcess) -> None:
    """One transaction in fifty refused: the driver's retries hide it, the appliance stays ok."""
    affected = 1
    wire = LooseWire(in_process.chips[affected], seed=1)
    in_process.bus.attach(ADDRESSES[affected], wire)
    wire.rate = 0.02
    assert _watch_others(in_process, affected, 0.6) == {"ok"}
    assert wire.nacks > 0
    assert _state(in_process, affected)["error_count"] == 0


def test_nacks_at_a_high_rate_take_only_that_appliance_offline_until_they_stop(
    in_process: InProcess,
) -> None:
    """Most transactions refused: that appliance flips offline (counted in /metrics), the others
    never do, and it is back by itself once the wire holds."""
    affected = 3
    wire = LooseWire(in_process.chips[affected], seed=3)
    in_process.bus.attach(ADDRESSES[affected], wire)
    wire.rate = 0.7
    wait_until(lambda: _state(in_process, affected)["status"] == "offline", OFFLINE_TIMEOUT_SECONDS)
    assert "offline" in _watch_others(in_process, affected, 0.5)
    errors = counter_by_appliance(metric_families(in_process.client), "energymon_sensor_errors")
    assert errors[affected] >= 1
    wire.rate = 0.0
    wait_until(_recovered(in_process, affected), RECOVERY_TIMEOUT_SECONDS, "recovery by itself")
    assert _gaps(in_process, affected, 0, time.time()), "the outage left no gap"


def test_brown_outs_are_repaired_without_a_wrong_reading(in_process: InProcess) -> None:
    """A chip reset to power-on values is reconfigured on the next read: it stays ok and not one
    reading is off (no zeros from the lost calibration)."""
    affected = 1
    rng = random.Random(1)
    chip = SimulatedINA219(make_profile({"profile": "constant"}, default_for="lamp"))
    in_process.bus.attach(ADDRESSES[affected], chip)
    swapped_ms = round(time.time() * 1000)
    started_ms = swapped_ms + round(2 * INTERVAL_SECONDS * 1000)  # windows of the new chip only
    wait_until(
        lambda: in_process.monitor.queries.history(affected, 1)[-1].timestamp_ms >= started_ms,
        what="readings of the constant load",
    )
    for _ in range(20):
        chip.brown_out()
        assert _watch_others(in_process, affected, rng.uniform(0.01, 0.1)) == {"ok"}
    history = in_process.monitor.queries.history(affected, 1000)
    readings = [r for r in history if r.timestamp_ms >= started_ms]
    assert len(readings) >= 10
    assert {round(r.watts) for r in readings} == {CONSTANT_WATTS}
    assert _state(in_process, affected)["error_count"] == 0


def test_a_frozen_adc_is_reported_offline_and_recovers(in_process: InProcess) -> None:
    """A chip whose conversions stop (the same registers for ever) is offline with a reason,
    not a flat line of stale readings; it is back once the ADC converts again."""
    affected = 2
    chip = in_process.chips[affected]
    chip.stuck()
    wait_until(
        lambda: _energy_status(in_process, affected) == 503,
        OFFLINE_TIMEOUT_SECONDS,
        "stuck detected",
    )
    assert _state(in_process, affected)["last_error"]
    assert "offline" in _watch_others(in_process, affected, 0.3)
    chip.stuck(False)
    wait_until(_recovered(in_process, affected), RECOVERY_TIMEOUT_SECONDS, "recovery by itself")


def test_overflow_is_counted_for_that_appliance_alone(in_process: InProcess) -> None:
    """Readings beyond the shunt range are counted in /health and /metrics for that appliance
    only, the service goes on, and the count stops when the overload ends."""
    affected = 3
    chip = in_process.chips[affected]
    chip.force_overflow()
    wait_until(lambda: _state(in_process, affected)["overflow_count"] > 0, OFFLINE_TIMEOUT_SECONDS)
    _watch_others(in_process, affected, 0.3)
    overflows = counter_by_appliance(
        metric_families(in_process.client), "energymon_sensor_overflows"
    )
    assert overflows[affected] > 0
    assert {overflows[i] for i in APPLIANCE_IDS if i != affected} == {0.0}
    chip.force_overflow(False)
    _wait_intervals(in_process, 2)  # reads already under way finish
    settled = _state(in_process, affected)["overflow_count"]
    _wait_intervals(in_process, 5)
    assert _state(in_process, affected)["overflow_count"] == settled


def _wait_intervals(app: InProcess, intervals: int) -> None:
    """Wait until every sampler has ticked through `intervals` storage intervals."""
    samplers = app.monitor.runner.samplers
    targets = [
        s.stats.ticks + round(intervals * INTERVAL_SECONDS / s.period_seconds) for s in samplers
    ]
    wait_until(
        lambda: all(s.stats.ticks >= t for s, t in zip(samplers, targets, strict=True)),
        OFFLINE_TIMEOUT_SECONDS,
        f"{intervals} sampling intervals",
    )


def _random_fault(
    app: InProcess, rng: random.Random, appliance_id: int
) -> tuple[str, Callable[[], None]]:
    """Inject one random fault on `appliance_id`; returns its name and how to end it."""
    chip = app.chips[appliance_id]
    kind = rng.choice(["nack", "unplug", "brown-out", "overflow", "detach"])
    if kind == "nack":
        wire = LooseWire(chip, seed=rng.randrange(1 << 30))
        wire.rate = rng.uniform(0.05, 1.0)
        app.bus.attach(ADDRESSES[appliance_id], wire)
        return kind, lambda: app.bus.attach(ADDRESSES[appliance_id], chip)
    if kind == "unplug":
        chip.remove()
        return kind, chip.restore
    if kind == "brown-out":
        chip.brown_out()
        return kind, lambda: None
    if kind == "overflow":
        chip.force_overflow()
        return kind, lambda: chip.force_overflow(False)
    app.bus.detach(ADDRESSES[appliance_id])  # the whole breakout board off the bus
    return kind, lambda: app.bus.attach(ADDRESSES[appliance_id], chip)


def test_random_faults_one_after_another_never_spread_and_always_heal(
    in_process: InProcess, budget: Budget, figures: Figures
) -> None:
    """Random faults on random appliances at random moments: the others stay ok, the service
    healthy, and each appliance heals by itself once its fault ends."""
    rng = random.Random(2)
    for _ in range(budget.fault_rounds):
        affected = rng.choice(APPLIANCE_IDS)
        kind, end = _random_fault(in_process, rng, affected)
        _watch_others(in_process, affected, rng.uniform(0.1, 0.8))
        end()
        started = time.monotonic()
        wait_until(
            _recovered(in_process, affected), RECOVERY_TIMEOUT_SECONDS, f"recovery from {kind}"
        )
        figures.add("R2 faults injected")
        figures.peak("R2 seconds to heal after a fault ended", time.monotonic() - started)
    assert _health(in_process)["status"] == "ok"
