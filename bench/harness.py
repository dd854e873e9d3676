"""What the in-process benchmarks share: simulated settings and a clock that jumps.

`JumpClock` is the tests' `service.clock.ManualClock` on the sampler's clock seam, used so that
no benchmark waits in real time: `wait()` moves time to the deadline at once and fires timers
due on the way (the writer's flush), so `BusSampler.run()` runs its real deadline loop as fast
as the CPU allows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from energymon.service.clock import ManualClock
from energymon.settings import Settings, settings_from_mapping

__all__ = ["DEFAULT_APPLIANCES", "JumpClock", "appliances", "bench_settings"]

# The default configuration's three appliances: (id, name, profile, address).
DEFAULT_APPLIANCES = (
    (1, "Refrigerator", "refrigerator", 0x40),
    (2, "Air Conditioner", "air-conditioner", 0x41),
    (3, "Water Heater", "water-heater", 0x44),
)
PACE_SLEEP_SECONDS = 0.002  # a paced clock sleeps in steps of at least this
_MORE_PROFILES = ("refrigerator", "air-conditioner", "water-heater", "constant", "pulsed", "step")


def appliances(count: int) -> list[dict[str, Any]]:
    """`count` simulated appliances: the default three, then more on the bus's other addresses."""
    if count <= len(DEFAULT_APPLIANCES):
        chosen = DEFAULT_APPLIANCES[:count]
    else:  # up to 16 INA219s on one bus: 0x40..0x4F
        chosen = tuple(
            (i + 1, f"Appliance {i + 1}", _MORE_PROFILES[i % len(_MORE_PROFILES)], 0x40 + i)
            for i in range(count)
        )
    return [
        {
            "id": appliance_id,
            "name": name,
            "driver": "simulated",
            "address": address,
            "simulation": {"profile": profile},
        }
        for appliance_id, name, profile, address in chosen
    ]


def bench_settings(
    data_dir: Path,
    *,
    appliance_list: list[dict[str, Any]] | None = None,
    sampling: dict[str, Any] | None = None,
    storage: dict[str, Any] | None = None,
) -> Settings:
    """Settings as the default config has them, in UTC, with data under `data_dir`."""
    return settings_from_mapping(
        {
            "timezone": "UTC",
            "sampling": sampling or {},
            "storage": {"data_dir": str(data_dir), **(storage or {})},
            "appliances": appliance_list or appliances(3),
        }
    )


class JumpClock(ManualClock):
    """The tests' ManualClock, plus what a benchmark's unattended run needs: timers, an end, a pace.

    A subclass, not options of ManualClock, because only benchmarks run `BusSampler.run()` on
    its own thread with nobody to tick it: the writer's flush must ride on simulated time
    (`every`, fired by `advance`), the run must end by itself (`stop_at`), and a benchmark under
    real HTTP load must not outrun its clients (`speedup`). Tests tick by hand and need none.

    Args:
        start: epoch seconds to start at.
        stop_at: `wait` reports "stopped" once wall time reaches this (ends `BusSampler.run`).
        speedup: simulated seconds per real second at most; `wait` sleeps when ahead of that
            pace (None: never sleeps, a pure burst).
    """

    def __init__(
        self, start: float, *, stop_at: float = float("inf"), speedup: float | None = None
    ) -> None:
        super().__init__(start)
        self.stop_at = stop_at
        self.speedup = speedup
        self._timers: list[list[Any]] = []  # [every_seconds, next_due, callback]
        self._paced_from = (start, time.perf_counter())

    def every(self, seconds: float, callback: Callable[[], object]) -> None:
        """Call `callback` each time `seconds` of simulated time have passed."""
        self._timers.append([seconds, self.time() + seconds, callback])

    def advance(self, seconds: float) -> None:
        """Move time forward, firing the timers that fall due."""
        super().advance(max(seconds, 0.0))
        now = self.time()
        for timer in self._timers:
            while timer[1] <= now:
                timer[1] += timer[0]
                timer[2]()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Jump instead of sleeping; True (stopped) when told to stop or at `stop_at`."""
        if super().wait(stop, seconds):
            return True
        if self.speedup is not None:
            simulated_from, real_from = self._paced_from
            ahead = real_from + (self.time() - simulated_from) / self.speedup - time.perf_counter()
            if ahead > PACE_SLEEP_SECONDS and stop.wait(ahead):
                return True
        return stop.is_set() or self.time() >= self.stop_at
