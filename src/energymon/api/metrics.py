"""Prometheus exposition: a custom collector that reads the monitor's state at scrape time.

Nothing is counted twice: every figure comes from the monitor when Prometheus asks, so there is
no second set of counters to keep in step with the sampler. The registry is our own, not
prometheus_client's global one, so apps built in one process (tests) never collide. The
per-appliance, per-sampler and per-publisher families are declared as data in series.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from energymon import __version__
from energymon.api.series import (
    APPLIANCE_LABELS,
    APPLIANCE_SERIES,
    PUBLISHER_LABELS,
    PUBLISHER_SERIES,
    SAMPLER_LABELS,
    SAMPLER_SERIES,
    ApplianceRow,
    families,
)
from energymon.service.monitor import Monitor

__all__ = ["MonitorCollector", "build_registry", "render"]


class MonitorCollector(Collector):
    """Power, energy, sensor, sampler and storage figures of one Monitor."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[Metric]:
        """Read the monitor now (blocking: call off the event loop)."""
        health = self.monitor.health.report()
        parts = health.parts
        lifetime = self.monitor.queries.lifetime_energy()
        yield from families(
            APPLIANCE_SERIES,
            APPLIANCE_LABELS,
            (([str(a.id), a.name], ApplianceRow(a, lifetime)) for a in parts.appliances),
        )
        yield from families(SAMPLER_SERIES, SAMPLER_LABELS, (([s.name], s) for s in parts.samplers))
        if parts.publishers:  # nothing when no publisher (MQTT) is configured
            rows = (([p.name], p) for p in parts.publishers)
            yield from families(PUBLISHER_SERIES, PUBLISHER_LABELS, rows)

        store = parts.storage
        yield GaugeMetricFamily(
            "energymon_storage_pending_readings",
            "Readings in memory waiting for a flush.",
            value=store.pending_readings,
        )
        yield CounterMetricFamily(
            "energymon_storage_dropped_readings",
            "Readings dropped because storage refused writes too long.",
            value=store.dropped_readings,
        )
        yield GaugeMetricFamily(
            "energymon_storage_healthy",
            "1 while the last flush succeeded.",
            value=0.0 if store.last_error else 1.0,
        )
        if store.last_flush_ms is not None:
            yield GaugeMetricFamily(
                "energymon_storage_last_flush_timestamp_seconds",
                "When the store last committed.",
                value=store.last_flush_ms / 1000,
            )
        yield CounterMetricFamily(
            "energymon_storage_failed_flushes",
            "Flushes the store refused (readings stayed in memory).",
            value=parts.writer.failed_flushes,
        )
        clock = parts.clock
        yield CounterMetricFamily(
            "energymon_clock_steps",
            "Steps of the wall clock against the monotonic clock since start.",
            value=clock.steps,
        )
        if clock.last_step_seconds is not None:
            yield GaugeMetricFamily(
                "energymon_clock_last_step_seconds",
                "Size of the last wall-clock step (negative: backwards).",
                value=clock.last_step_seconds,
            )
        yield GaugeMetricFamily(
            "energymon_healthy", "1 unless the service cannot record.", value=float(health.healthy)
        )
        info = GaugeMetricFamily(
            "energymon_build_info", "The running energymon version.", labels=("version",)
        )
        info.add_metric([__version__], 1.0)
        yield info


def build_registry(monitor: Monitor) -> CollectorRegistry:
    """A registry with the monitor's figures and this process's CPU and memory."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(monitor))
    ProcessCollector(registry=registry)
    return registry


def render(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """The exposition body and its content type, in the format the scraper accepts."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
