"""The /health report: liveness, every sensor's state, the samplers' cadence, storage and the
publishers (MQTT).

The samplers and publishers are served as the service's SamplerView and PublisherView,
unchanged; the other parts differ on the wire as each model's docstring says.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from energymon.api.schemas import ApiModel, ApplianceOut
from energymon.api.timestamps import utc_time
from energymon.service.health import Health, HealthStatus
from energymon.service.views import ApplianceView, ClockView, PublisherView, SamplerView

__all__ = ["ApplianceHealth", "ClockHealth", "HealthResponse", "StorageHealth"]


def _rounded(seconds: float | None) -> float | None:
    """Milliseconds are plenty for ages and durations in a health report."""
    return None if seconds is None else round(seconds, 3)


class ApplianceHealth(ApplianceOut):
    """An appliance's sensor health: its error counters and the age of its last sample (ms)."""

    error_count: int
    overflow_count: int
    last_sample_age_seconds: float | None

    @classmethod
    def of(cls, view: ApplianceView) -> Self:
        """The API's view of an appliance with its error counters."""
        return cls(
            **ApplianceOut.of(view).model_dump(),
            error_count=view.error_count,
            overflow_count=view.overflow_count,
            last_sample_age_seconds=_rounded(view.last_sample_age_seconds),
        )


class StorageHealth(ApiModel):
    """The store: last good flush (an ISO instant), last error, readings waiting in memory,
    and the writer's failed flushes and CSV log error."""

    last_flush: dt.datetime | None
    last_flush_age_seconds: float | None
    pending_readings: int
    dropped_readings: int
    last_error: str | None
    failed_flushes: int
    csv_log_error: str | None


class ClockHealth(ApiModel):
    """Steps of the wall clock since start (NTP on a Pi without a real-time clock): the last
    step's size and age in seconds to the ms, and its instant in ISO 8601."""

    steps: int
    last_step_seconds: float | None
    last_step_at: dt.datetime | None
    last_step_age_seconds: float | None

    @classmethod
    def of(cls, view: ClockView) -> Self:
        """The API's view of the clock's steps."""
        at_ms = view.last_step_at_ms
        return cls(
            steps=view.steps,
            last_step_seconds=_rounded(view.last_step_seconds),
            last_step_at=None if at_ms is None else utc_time(at_ms),
            last_step_age_seconds=_rounded(view.last_step_age_seconds),
        )


class HealthResponse(ApiModel):
    """GET /health: `ok`, `degraded` (200: recording, but see `reasons`) or `unhealthy` (503:
    the service cannot record — storage failing, every sensor offline, a thread stuck)."""

    status: HealthStatus
    healthy: bool
    reasons: list[str]
    uptime_seconds: float
    appliances: list[ApplianceHealth]
    samplers: list[SamplerView]
    storage: StorageHealth
    clock: ClockHealth
    publishers: list[PublisherView]  # empty unless [mqtt] is enabled

    @classmethod
    def of(cls, health: Health) -> Self:
        """The API's view of the service's health report."""
        parts, now_s = health.parts, health.checked_at_seconds
        store = parts.storage
        flushed = None if store.last_flush_ms is None else utc_time(store.last_flush_ms)
        return cls(
            status=health.verdict.status,
            healthy=health.healthy,
            reasons=health.verdict.reasons,
            uptime_seconds=round(health.uptime_seconds, 3),
            appliances=[ApplianceHealth.of(a) for a in parts.appliances],
            samplers=list(parts.samplers),
            storage=StorageHealth(
                last_flush=flushed,
                last_flush_age_seconds=_rounded(
                    None if store.last_flush_ms is None else now_s - store.last_flush_ms / 1000
                ),
                pending_readings=store.pending_readings,
                dropped_readings=store.dropped_readings,
                last_error=store.last_error,
                failed_flushes=parts.writer.failed_flushes,
                csv_log_error=parts.writer.csv_log_error,
            ),
            clock=ClockHealth.of(parts.clock),
            publishers=list(parts.publishers),
        )
