"""The Monitor: one handle on the service, holding its three parts.

- `runner` (service.runner): starts and stops samplers and writer, hands readings to subscribers.
- `queries` (service.queries): appliances, the latest reading, history, daily stats, summaries.
- `health` (service.health): the health report and its verdict.

Why a facade and not three dependencies: bootstrap builds one object, and the app, the CLI
and the benchmarks each keep that one handle. Why parts as attributes and not delegated
methods: a caller writes `monitor.queries.history(...)`, so each part's interface is declared
once, in its own module, and the facade never grows with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from energymon.drivers.base import SMBusLike
from energymon.service.clock import Clock
from energymon.service.health import HealthCheck
from energymon.service.queries import Queries
from energymon.service.runner import Runner
from energymon.service.sampler import BusSampler
from energymon.service.timeline import Timeline
from energymon.service.writer import StorageWriter
from energymon.settings import Settings
from energymon.storage.base import ReadingStore

__all__ = ["Monitor"]


class Monitor:
    """The runner, the queries and the health check of one service, sharing its collaborators."""

    def __init__(
        self,
        settings: Settings,
        *,
        samplers: Sequence[BusSampler],
        store: ReadingStore,
        writer: StorageWriter,
        clock: Clock,
        timeline: Timeline | None = None,
        buses: Sequence[SMBusLike] = (),
    ) -> None:
        self.runner = Runner(
            samplers=samplers, writer=writer, store=store, clock=clock, buses=buses
        )
        channels = [channel for sampler in samplers for channel in sampler.channels]
        self.queries = Queries(settings, channels, store=store, clock=clock)
        self.health = HealthCheck(self.runner, self.queries, timeline or Timeline(clock))
