"""What /health, /metrics and the systemd watchdog mean, decided in one place.

States, from the readings' point of view:

- `ok`: every sensor delivers, storage writes, the samplers keep time.
- `degraded` (HTTP 200): recording goes on but something needs a look: some sensors offline,
  the wall clock stepped in the last 15 minutes, the CSV log cannot be written, or readings
  were dropped since start because storage refused writes for too long.
- `unhealthy` (HTTP 503): the service cannot record: storage writes fail (readings wait in
  memory up to `storage.max_buffered_readings`, then the oldest are dropped), every sensor is
  offline, a sampler is stuck, the writer is stuck, or the monitor is not running.

The watchdog is a different question: would a restart help? It is fed while the sampler and
writer threads make progress. A write that fails (full disk, a file made by root) is not a
reason to restart: the restart would throw away the readings held in memory, and the writer
retries by itself. A thread that hangs is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from energymon.domain.model import ApplianceStatus
from energymon.service.views import (
    ApplianceView,
    ClockView,
    HealthStatus,
    SamplerView,
    WriterView,
)
from energymon.storage.base import StoreHealth

__all__ = ["RECENT_STEP_SECONDS", "Verdict", "assess"]

RECENT_STEP_SECONDS = 900.0  # a wall-clock step shows as `degraded` this long


@dataclass(frozen=True, slots=True)
class Verdict:
    """The state, the reasons behind it, and whether the watchdog should be fed."""

    status: HealthStatus
    reasons: list[str]
    alive: bool


def assess(
    *,
    running: bool,
    appliances: Sequence[ApplianceView],
    samplers: Sequence[SamplerView],
    storage: StoreHealth,
    writer: WriterView,
    clock: ClockView,
) -> Verdict:
    """Judge the service's state from its parts' views."""
    failing: list[str] = []
    warnings: list[str] = []
    if not running:
        failing.append("the monitor is not running")
    failing += [f"sampler {s.name} is stuck" for s in samplers if s.stuck]
    if writer.stuck:
        failing.append("the storage writer is stuck")
    if storage.last_error is not None:
        failing.append(f"storage cannot write: {storage.last_error}")
    offline = [a for a in appliances if a.status is ApplianceStatus.OFFLINE]
    if appliances and len(offline) == len(appliances):
        failing.append("every sensor is offline")
    else:
        warnings += [f"sensor of {a.name} (id {a.id}) is offline: {a.last_error}" for a in offline]
    if writer.csv_log_error is not None:
        warnings.append(f"CSV log cannot write: {writer.csv_log_error}")
    if storage.dropped_readings:
        warnings.append(
            f"{storage.dropped_readings} readings dropped since start while storage refused writes"
        )
    step = clock.last_step_seconds
    age = clock.last_step_age_seconds
    if step is not None and age is not None and age < RECENT_STEP_SECONDS:
        warnings.append(f"wall clock stepped by {step:+.1f} s {age:.0f} s ago")
    status = (
        HealthStatus.UNHEALTHY
        if failing
        else HealthStatus.DEGRADED
        if warnings
        else HealthStatus.OK
    )
    alive = running and not writer.stuck and not any(s.stuck for s in samplers)
    return Verdict(status=status, reasons=failing + warnings, alive=alive)
