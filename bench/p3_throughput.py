"""P3: readings per second the pipeline sustains: burst sampler → batched writer → SQLite.

Sixteen simulated INA219s on one bus, sampled once per reading (oversample = 1 Hz, so each
tick of a sensor is one stored reading). The sampler thread runs on a JumpClock, its burst
mode: deadlines come due at once instead of in real time. The writer thread flushes on the
real clock every FLUSH_SECONDS into SQLite with its rollups and feeds the CSV log, as in
production, and the GIL switch interval is the one `serve` sets. Lost = emitted − stored,
counted after the final flush.

Two runs. Sustained: the burst is paced to offer 10 % more than the target (55,000/s); the
figure is readings stored per second from start to the end of the final flush, so a writer
that falls behind shows as a lower rate (and, once the buffer bound is hit, as losses).
Unpaced: the sampler runs flat out, for what one process can produce and store at most.
"""

from __future__ import annotations

import itertools
import sqlite3
import sys
import time
from dataclasses import dataclass

from bench.context import Context
from bench.harness import JumpClock, appliances, bench_settings
from bench.report import Figure, Target
from energymon.bootstrap import build
from energymon.domain.model import Reading
from energymon.runtime.process import SWITCH_INTERVAL_SECONDS as SERVE_SWITCH_INTERVAL

TARGET = Target(">=", 50_000.0, "readings/s")
NO_LOSS = Target("<=", 0, "")
OFFERED_PER_SECOND = 55_000.0
SENSORS = 16
# A batch a second: at these rates the default 10 s would meet max_buffered_readings (500,000),
# which measures the buffer bound, not the pipeline.
FLUSH_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Burst:
    """What one burst did."""

    emitted: int
    stored: int
    sampling_seconds: float
    total_seconds: float  # to the end of the final flush

    @property
    def note(self) -> str:
        """Counts and times for the figure's note."""
        return (
            f"{self.stored:,} stored of {self.emitted:,} emitted "
            f"({self.emitted / self.sampling_seconds:,.0f}/s) in {self.sampling_seconds:.0f} s "
            f"+ {self.total_seconds - self.sampling_seconds:.1f} s final flush"
        )


def burst(ctx: Context, name: str, seconds: float, readings_per_second: float | None) -> Burst:
    """Run the pipeline for `seconds`, paced to `readings_per_second` (None: flat out)."""
    settings = bench_settings(
        ctx.scratch(name),
        appliance_list=appliances(SENSORS),
        sampling={"oversample_hz": 1.0},
        storage={"flush_interval_seconds": FLUSH_SECONDS},
    )
    speedup = readings_per_second / SENSORS if readings_per_second else None
    # The writer flushes on the real clock (build's default) while the samplers burst.
    monitor = build(settings, sampler_clock=JumpClock(time.time(), speedup=speedup))
    emitted = itertools.count()

    def count(reading: Reading) -> None:
        next(emitted)

    monitor.runner.subscribe(count)
    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(SERVE_SWITCH_INTERVAL)  # as `energymon serve` runs its threads
    started = time.perf_counter()
    monitor.runner.start()
    time.sleep(seconds)
    for sampler in monitor.runner.samplers:
        sampler.stop()
    sampling_seconds = time.perf_counter() - started
    monitor.runner.stop()  # the writer's final flush: what was emitted is stored when it returns
    total_seconds = time.perf_counter() - started
    sys.setswitchinterval(previous_interval)
    with sqlite3.connect(settings.storage.data_dir / "energymon.db") as conn:
        stored = conn.execute("SELECT count(*) FROM readings").fetchone()[0]
    return Burst(next(emitted), stored, sampling_seconds, total_seconds)


def run(ctx: Context) -> list[Figure]:
    """The paced run, then the unpaced one."""
    paced = burst(ctx, "p3-paced", 3.0 if ctx.smoke else 60.0, OFFERED_PER_SECOND)
    flat = burst(ctx, "p3-flat", 2.0 if ctx.smoke else 10.0, None)
    return [
        Figure(
            "P3",
            f"sustained, {OFFERED_PER_SECOND:,.0f}/s offered",
            paced.stored / paced.total_seconds,
            "readings/s",
            TARGET,
            paced.note,
        ),
        Figure("P3", "readings lost, sustained run", paced.emitted - paced.stored, "", NO_LOSS),
        Figure(
            "P3",
            "unpaced burst, stored",
            flat.stored / flat.total_seconds,
            "readings/s",
            note=flat.note,
        ),
        Figure("P3", "readings lost, unpaced burst", flat.emitted - flat.stored, ""),
    ]
