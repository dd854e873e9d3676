"""How well a sampler keeps its cadence: ticks, missed periods, its lag behind each deadline,
and the view of them /health shows."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from energymon.service.views import SamplerView

__all__ = ["LAG_WINDOW", "SamplerStats"]

LAG_WINDOW = 2048  # recent lags kept for the p99 figure


@dataclass(slots=True)
class SamplerStats:
    """How well a sampler keeps its cadence."""

    ticks: int = 0
    missed_periods: int = 0
    last_lag_seconds: float = 0.0
    max_lag_seconds: float = 0.0
    last_tick_monotonic: float | None = None
    recent_lags: deque[float] = field(default_factory=lambda: deque(maxlen=LAG_WINDOW))

    def p99_lag_seconds(self) -> float:
        """The 99th percentile of recent lags behind schedule."""
        lags = sorted(self.recent_lags)
        return lags[min(len(lags) - 1, math.ceil(0.99 * len(lags)) - 1)] if lags else 0.0

    def to_view(
        self, name: str, period_seconds: float, age_seconds: float | None, *, stuck: bool
    ) -> SamplerView:
        """The figures as /health shows them, for the sampler `name` of that period; the age of
        its last tick and whether it is stuck as health judges them."""
        return SamplerView(
            name=name,
            period_seconds=period_seconds,
            ticks=self.ticks,
            missed_periods=self.missed_periods,
            last_lag_seconds=self.last_lag_seconds,
            max_lag_seconds=self.max_lag_seconds,
            p99_lag_seconds=self.p99_lag_seconds(),
            last_tick_age_seconds=age_seconds,
            stuck=stuck,
        )
