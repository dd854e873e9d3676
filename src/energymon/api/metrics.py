"""Prometheus exposition: a custom collector that reads the monitor's state at scrape time.

Nothing is counted twice: every figure comes from the monitor when Prometheus asks, so there is
no second set of counters to keep in step with the sampler. The registry is our own, not
prometheus_client's global one, so apps built in one process (tests) never collide.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from energymon import __version__
from energymon.domain.model import ApplianceStatus
from energymon.service.monitor import Monitor
from energymon.service.views import PublisherView

__all__ = ["MonitorCollector", "build_registry", "render"]

JOULES_PER_WH = 3600.0
APPLIANCE_LABELS = ("appliance_id", "appliance")
SAMPLER_LABELS = ("sampler",)
PUBLISHER_LABELS = ("publisher",)


def _gauge(name: str, documentation: str, labels: tuple[str, ...]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def _counter(name: str, documentation: str, labels: tuple[str, ...]) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, labels=labels)


class MonitorCollector(Collector):
    """Power, energy, sensor, sampler and storage figures of one Monitor."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[Metric]:
        """Read the monitor now (blocking: call off the event loop)."""
        health = self.monitor.health.report()
        lifetime = self.monitor.queries.lifetime_energy()

        watts = _gauge("energymon_power_watts", "Power of the latest reading.", APPLIANCE_LABELS)
        volts = _gauge(
            "energymon_bus_volts", "Bus voltage of the latest reading.", APPLIANCE_LABELS
        )
        amps = _gauge("energymon_current_amps", "Current of the latest reading.", APPLIANCE_LABELS)
        energy = _counter(
            "energymon_energy_joules",
            "Energy measured live since records began (imported history is not in it).",
            APPLIANCE_LABELS,
        )
        imported = _counter(
            "energymon_imported_energy_joules",
            "Energy of history brought in by `energymon import`, booked to its own days.",
            APPLIANCE_LABELS,
        )
        errors = _counter(
            "energymon_sensor_errors", "Failed sensor reads since start.", APPLIANCE_LABELS
        )
        overflows = _counter(
            "energymon_sensor_overflows", "Readings beyond the shunt range.", APPLIANCE_LABELS
        )
        up = _gauge("energymon_sensor_up", "1 while the sensor answers.", APPLIANCE_LABELS)
        for appliance in health.appliances:
            labels = [str(appliance.id), appliance.name]
            reading = appliance.last_reading
            # An offline sensor's last values would flatline a graph: report none instead.
            if reading is not None and appliance.status is ApplianceStatus.OK:
                watts.add_metric(labels, reading.watts)
                if reading.volts is not None:
                    volts.add_metric(labels, reading.volts)
                if reading.amps is not None:
                    amps.add_metric(labels, reading.amps)
            energy.add_metric(labels, lifetime.live_wh.get(appliance.id, 0.0) * JOULES_PER_WH)
            imported.add_metric(labels, lifetime.imported_wh.get(appliance.id, 0.0) * JOULES_PER_WH)
            errors.add_metric(labels, appliance.error_count)
            overflows.add_metric(labels, appliance.overflow_count)
            up.add_metric(labels, 1.0 if appliance.status is ApplianceStatus.OK else 0.0)
        yield from (watts, volts, amps, energy, imported, errors, overflows, up)

        lag = _gauge("energymon_sampler_lag_seconds", "Lag of the last tick.", SAMPLER_LABELS)
        lag_p99 = _gauge(
            "energymon_sampler_lag_p99_seconds", "99th percentile of recent lags.", SAMPLER_LABELS
        )
        missed = _counter(
            "energymon_sampler_missed_periods", "Sampling periods skipped.", SAMPLER_LABELS
        )
        stuck = _gauge("energymon_sampler_stuck", "1 while the sampler is stuck.", SAMPLER_LABELS)
        for sampler in health.samplers:
            labels = [sampler.name]
            lag.add_metric(labels, sampler.last_lag_seconds)
            lag_p99.add_metric(labels, sampler.p99_lag_seconds)
            missed.add_metric(labels, sampler.missed_periods)
            stuck.add_metric(labels, 1.0 if sampler.stuck else 0.0)
        yield from (lag, lag_p99, missed, stuck, *_publisher_metrics(health.publishers))

        store = health.storage
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
            value=health.writer.failed_flushes,
        )
        clock = health.clock
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
        info = _gauge("energymon_build_info", "The running energymon version.", ("version",))
        info.add_metric([__version__], 1.0)
        yield info


def _publisher_metrics(publishers: list[PublisherView]) -> Iterator[Metric]:
    """Each publisher's (MQTT) link and message counts; nothing when none is configured."""
    connected = _gauge(
        "energymon_publisher_connected", "1 while connected to the broker.", PUBLISHER_LABELS
    )
    published = _counter(
        "energymon_publisher_messages_published",
        "Messages the broker acknowledged (QoS 1) or took (QoS 0).",
        PUBLISHER_LABELS,
    )
    failed = _counter(
        "energymon_publisher_messages_failed",
        "Messages the client or the broker refused.",
        PUBLISHER_LABELS,
    )
    queued = _gauge(
        "energymon_publisher_queued_readings",
        "Readings waiting to be sent or acknowledged (outbox and memory).",
        PUBLISHER_LABELS,
    )
    reconnects = _counter(
        "energymon_publisher_reconnects", "Connections after the first.", PUBLISHER_LABELS
    )
    dropped = _counter(
        "energymon_publisher_dropped_readings",
        "Readings given up, oldest first, past the outbox's bound.",
        PUBLISHER_LABELS,
    )
    for view in publishers:
        labels = [view.name]
        connected.add_metric(labels, 1.0 if view.connected else 0.0)
        published.add_metric(labels, view.published)
        failed.add_metric(labels, view.failed)
        queued.add_metric(labels, view.queued_readings)
        reconnects.add_metric(labels, view.reconnects)
        dropped.add_metric(labels, view.dropped_readings)
    if publishers:
        yield from (connected, published, failed, queued, reconnects, dropped)


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
