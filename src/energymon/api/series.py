"""What /metrics exports per appliance, per sampler and per publisher, declared as data.

A `Series` names a metric family and says how to read its value from one row (None: that row
has no sample); `families` turns a table of them and the rows into the families, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from energymon.domain.model import ApplianceStatus, Reading
from energymon.service.views import ApplianceView, PublisherView, SamplerView
from energymon.storage.base import LifetimeEnergy

__all__ = [
    "APPLIANCE_LABELS",
    "APPLIANCE_SERIES",
    "PUBLISHER_LABELS",
    "PUBLISHER_SERIES",
    "SAMPLER_LABELS",
    "SAMPLER_SERIES",
    "ApplianceRow",
    "Series",
    "families",
]

JOULES_PER_WH = 3600.0
APPLIANCE_LABELS = ("appliance_id", "appliance")
SAMPLER_LABELS = ("sampler",)
PUBLISHER_LABELS = ("publisher",)

_Row = TypeVar("_Row")


@dataclass(frozen=True, slots=True)
class Series(Generic[_Row]):
    """A metric family with one sample per row (appliance, sampler, publisher), as data."""

    name: str
    documentation: str
    value: Callable[[_Row], float | None]  # None: no sample for this row
    counter: bool = False


class ApplianceRow(NamedTuple):
    """An appliance's row: its view and the lifetime energy of every appliance."""

    appliance: ApplianceView
    lifetime: LifetimeEnergy

    @property
    def live_reading(self) -> Reading | None:
        """The latest reading while the sensor answers; an offline sensor's last values would
        flatline a graph, so it has none."""
        reading = self.appliance.last_reading
        return reading if self.appliance.status is ApplianceStatus.OK else None


def _flag(value: bool) -> float:
    return 1.0 if value else 0.0


APPLIANCE_SERIES: tuple[Series[ApplianceRow], ...] = (
    Series(
        "energymon_power_watts",
        "Power of the latest reading.",
        lambda row: row.live_reading.watts if row.live_reading else None,
    ),
    Series(
        "energymon_bus_volts",
        "Bus voltage of the latest reading.",
        lambda row: row.live_reading.volts if row.live_reading else None,
    ),
    Series(
        "energymon_current_amps",
        "Current of the latest reading.",
        lambda row: row.live_reading.amps if row.live_reading else None,
    ),
    Series(
        "energymon_energy_joules",
        "Energy that flowed in (positive current: consumed, or a battery charging), measured "
        "live since records began (imported history is not in it).",
        lambda row: row.lifetime.live_wh.get(row.appliance.id, 0.0) * JOULES_PER_WH,
        counter=True,
    ),
    Series(
        "energymon_energy_out_joules",
        "Energy that flowed out (negative current: fed back, or a battery discharging), "
        "measured live since records began (imported history is not in it).",
        lambda row: row.lifetime.live_out_wh.get(row.appliance.id, 0.0) * JOULES_PER_WH,
        counter=True,
    ),
    Series(
        "energymon_imported_energy_joules",
        "Energy in of history brought in by `energymon import`, booked to its own days.",
        lambda row: row.lifetime.imported_wh.get(row.appliance.id, 0.0) * JOULES_PER_WH,
        counter=True,
    ),
    Series(
        "energymon_imported_energy_out_joules",
        "Energy out of history brought in by `energymon import`, booked to its own days.",
        lambda row: row.lifetime.imported_out_wh.get(row.appliance.id, 0.0) * JOULES_PER_WH,
        counter=True,
    ),
    Series(
        "energymon_sensor_errors",
        "Failed sensor reads since start.",
        lambda row: row.appliance.error_count,
        counter=True,
    ),
    Series(
        "energymon_sensor_overflows",
        "Readings beyond the shunt range.",
        lambda row: row.appliance.overflow_count,
        counter=True,
    ),
    Series(
        "energymon_sensor_up",
        "1 while the sensor answers.",
        lambda row: _flag(row.appliance.status is ApplianceStatus.OK),
    ),
)
SAMPLER_SERIES: tuple[Series[SamplerView], ...] = (
    Series("energymon_sampler_lag_seconds", "Lag of the last tick.", lambda s: s.last_lag_seconds),
    Series(
        "energymon_sampler_lag_p99_seconds",
        "99th percentile of recent lags.",
        lambda s: s.p99_lag_seconds,
    ),
    Series(
        "energymon_sampler_missed_periods",
        "Sampling periods skipped.",
        lambda s: s.missed_periods,
        counter=True,
    ),
    Series("energymon_sampler_stuck", "1 while the sampler is stuck.", lambda s: _flag(s.stuck)),
)
PUBLISHER_SERIES: tuple[Series[PublisherView], ...] = (
    Series(
        "energymon_publisher_connected",
        "1 while connected to the broker.",
        lambda p: _flag(p.connected),
    ),
    Series(
        "energymon_publisher_messages_published",
        "Messages the broker acknowledged (QoS 1) or took (QoS 0).",
        lambda p: p.published,
        counter=True,
    ),
    Series(
        "energymon_publisher_messages_failed",
        "Messages the client or the broker refused.",
        lambda p: p.failed,
        counter=True,
    ),
    Series(
        "energymon_publisher_queued_readings",
        "Readings waiting to be sent or acknowledged (outbox and memory).",
        lambda p: p.queued_readings,
    ),
    Series(
        "energymon_publisher_reconnects",
        "Connections after the first.",
        lambda p: p.reconnects,
        counter=True,
    ),
    Series(
        "energymon_publisher_dropped_readings",
        "Readings given up, oldest first, past the outbox's bound.",
        lambda p: p.dropped_readings,
        counter=True,
    ),
)


def families(
    table: Sequence[Series[_Row]], labels: tuple[str, ...], rows: Iterable[tuple[list[str], _Row]]
) -> list[GaugeMetricFamily | CounterMetricFamily]:
    """A family per series of `table`, with a sample of each row (its label values, the row)."""
    made = [
        (CounterMetricFamily if series.counter else GaugeMetricFamily)(
            series.name, series.documentation, labels=labels
        )
        for series in table
    ]
    for label_values, row in rows:
        for series, family in zip(table, made, strict=True):
            value = series.value(row)
            if value is not None:
                family.add_metric(label_values, value)
    return made
