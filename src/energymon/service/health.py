"""What /health, /metrics and the systemd watchdog mean, decided in one place.

`HealthCheck` gathers every part's view into one `Health` report; `assess` judges them.

States, from the readings' point of view:

- `ok`: every sensor delivers, storage writes, the samplers keep time.
- `degraded` (HTTP 200): recording goes on but something needs a look: some sensors offline,
  the wall clock stepped in the last 15 minutes, the CSV log cannot be written, readings
  were dropped since start because storage refused writes for too long, or a publisher (MQTT)
  is not connected or dropped readings. A broker's trouble is never `unhealthy`: recording
  goes on, and the publisher's readings wait in its outbox.
- `unhealthy` (HTTP 503): the service cannot record: storage writes fail (readings wait in
  memory up to `storage.max_buffered_readings`, then the oldest are dropped), every sensor is
  offline, a sampler is stuck, the writer is stuck, or the monitor is not running.

The watchdog is a different question: would a restart help? It is fed while the sampler and
writer threads make progress. A write that fails (full disk, a file made by root) is not a
reason to restart: the restart would throw away the readings held in memory, and the writer
retries by itself. A thread that hangs is.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from energymon.domain.model import ApplianceStatus
from energymon.service.queries import Queries
from energymon.service.runner import Runner
from energymon.service.sampler import BusSampler
from energymon.service.timeline import Timeline
from energymon.service.views import (
    ApplianceView,
    ClockView,
    PublisherView,
    SamplerView,
    WriterView,
)
from energymon.storage.base import StoreHealth

__all__ = [
    "RECENT_STEP_SECONDS",
    "Health",
    "HealthCheck",
    "HealthStatus",
    "Parts",
    "Verdict",
    "assess",
]

RECENT_STEP_SECONDS = 900.0  # a wall-clock step shows as `degraded` this long
# A sampler that has not ticked for this many periods (and at least STUCK_MIN_SECONDS) is stuck.
STUCK_PERIODS = 20
STUCK_MIN_SECONDS = 5.0


class HealthStatus(enum.StrEnum):
    """How well the service records: `ok`, `degraded` (HTTP 200: recording, but see the
    reasons) or `unhealthy` (HTTP 503: it cannot record)."""

    OK = "ok"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The state, the reasons behind it, and whether the watchdog should be fed."""

    status: HealthStatus
    reasons: list[str]
    alive: bool


@dataclass(frozen=True, slots=True)
class Parts:
    """Each part's view of itself: what `assess` judges and /health shows."""

    appliances: Sequence[ApplianceView]
    samplers: Sequence[SamplerView]
    storage: StoreHealth
    writer: WriterView
    clock: ClockView
    publishers: Sequence[PublisherView] = ()


def assess(parts: Parts, *, running: bool) -> Verdict:
    """Judge the service's state from its parts' views."""
    appliances, storage, writer = parts.appliances, parts.storage, parts.writer
    failing: list[str] = []
    warnings: list[str] = []
    if not running:
        failing.append("the monitor is not running")
    failing += [f"sampler {s.name} is stuck" for s in parts.samplers if s.stuck]
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
    step, age = parts.clock.last_step_seconds, parts.clock.last_step_age_seconds
    if step is not None and age is not None and age < RECENT_STEP_SECONDS:
        warnings.append(f"wall clock stepped by {step:+.1f} s {age:.0f} s ago")
    for publisher in parts.publishers:
        if not publisher.connected:
            why = publisher.last_error or "connecting"
            warnings.append(f"{publisher.name} {publisher.target} not connected: {why}")
        if publisher.dropped_readings:
            warnings.append(
                f"{publisher.name}: {publisher.dropped_readings} readings dropped since start"
            )
    status = (
        HealthStatus.UNHEALTHY
        if failing
        else HealthStatus.DEGRADED
        if warnings
        else HealthStatus.OK
    )
    alive = running and not writer.stuck and not any(s.stuck for s in parts.samplers)
    return Verdict(status=status, reasons=failing + warnings, alive=alive)


@dataclass(frozen=True, slots=True)
class Health:
    """The service's state with its reasons (`verdict`), and each part's view (`parts`)."""

    verdict: Verdict  # `alive`: the threads make progress, feed the systemd watchdog
    parts: Parts
    uptime_seconds: float
    checked_at_seconds: float  # wall-clock epoch seconds when the report was taken

    @property
    def healthy(self) -> bool:
        """True unless the service cannot record."""
        return self.verdict.status is not HealthStatus.UNHEALTHY


class HealthCheck:
    """Takes every part's view and judges them with `assess`."""

    def __init__(self, runner: Runner, queries: Queries, timeline: Timeline) -> None:
        self.runner = runner
        self.queries = queries
        self.timeline = timeline

    def report(self) -> Health:
        """The service's state and its reasons, with every part's view."""
        runner = self.runner
        parts = Parts(
            appliances=self.queries.appliances(),
            samplers=[self._sampler_view(s) for s in runner.samplers],
            storage=runner.store.health(),
            writer=runner.writer.view(),
            clock=self._clock_view(),
            publishers=[publisher.view() for publisher in runner.publishers],
        )
        return Health(
            verdict=assess(parts, running=runner.running),
            parts=parts,
            uptime_seconds=runner.clock.monotonic() - runner.started_at,
            checked_at_seconds=runner.clock.time(),
        )

    def _sampler_view(self, sampler: BusSampler) -> SamplerView:
        now = self.runner.clock.monotonic()
        last = sampler.stats.last_tick_monotonic
        age = None if last is None else now - last
        limit = max(STUCK_PERIODS * sampler.period_seconds, STUCK_MIN_SECONDS)
        since = age if age is not None else now - self.runner.started_at
        stuck = self.runner.running and since > limit
        return sampler.stats.to_view(sampler.name, sampler.period_seconds, age, stuck=stuck)

    def _clock_view(self) -> ClockView:
        step = self.timeline.last_step
        now = self.runner.clock.monotonic()
        return ClockView(
            steps=self.timeline.step_count,
            last_step_seconds=None if step is None else step.seconds,
            last_step_at_ms=None if step is None else round(step.wall_after * 1000),
            last_step_age_seconds=None if step is None else now - step.mono_at,
        )
