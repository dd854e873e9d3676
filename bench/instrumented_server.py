"""`energymon serve` that also records every sampler tick, for P2 (benchmarks only).

    python -m bench.instrumented_server serve --config F --port P

Runs `energymon.runtime.server.serve` unchanged, passing it a `build` that calls the
composition root's `build_service` and then makes each sampler's `sample_once` first record the
tick the sampler has just timed: its monotonic time and its lag behind the deadline (the
sampler's own `SamplerStats.last_*` values, so nothing is measured twice). On exit the ticks go
to `sampler-ticks.json` beside the config file.

With BENCH_GC_FREEZE=1 in the environment it also calls `gc.freeze()` once the monitor is
built: the fix proposed for P2 (long gen-2 collections hold the GIL), to measure it before
it is made in `serve`. The benchmarks themselves never set it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

from energymon.bootstrap import Service, build_service
from energymon.runtime.server import serve
from energymon.service.sampler import BusSampler
from energymon.settings import Settings, load_settings

TICKS_FILE = "sampler-ticks.json"


def _record_ticks(sampler: BusSampler, ticks: list[tuple[float, float]]) -> None:
    sample_once = sampler.sample_once
    stats = sampler.stats

    def recorded() -> None:
        ticks.append((stats.last_tick_monotonic or 0.0, stats.last_lag_seconds))
        sample_once()

    sampler.sample_once = recorded  # type: ignore[method-assign]


def main() -> int:
    """Parse `serve --config F --port P`, serve until SIGTERM, write the ticks."""
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    recorded: list[dict[str, Any]] = []

    def build(settings: Settings) -> Service:
        service = build_service(settings)
        for sampler in service.monitor.runner.samplers:
            ticks: list[tuple[float, float]] = []
            _record_ticks(sampler, ticks)
            recorded.append(
                {"name": sampler.name, "period": sampler.period_seconds, "ticks": ticks}
            )
        if os.environ.get("BENCH_GC_FREEZE"):
            gc.collect()
            gc.freeze()
        return service

    code = serve(load_settings(args.config), port=args.port, build=build)
    (args.config.parent / TICKS_FILE).write_text(json.dumps(recorded))
    return code


if __name__ == "__main__":
    sys.exit(main())
