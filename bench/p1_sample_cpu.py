"""P1: CPU time per sample per sensor through the full path, with 3 and 16 sensors.

The path is what one sampler tick does for each sensor: the INA219 driver's five register
reads over the FakeBus from the simulated chip, scaling, the calibration factor, trapezoidal
integration into the one-second window and, once a second, the reading into the writer's
queue (the store's buffer and the CSV log's queue). `BusSampler.run()` runs its deadline loop
on a JumpClock, so no time is spent waiting; the thread's CPU time is divided by ticks × sensors.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.context import Context
from bench.harness import JumpClock, appliances, bench_settings
from bench.report import Figure, Target
from energymon.bootstrap import build

TARGET = Target("<=", 27.0, "µs")  # 5 % of one 532 µs INA219 conversion
START_EPOCH = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def cpu_per_sample_us(sensors: int, ticks: int) -> float:
    """Thread CPU µs per sample of one sensor, over `ticks` default 20 Hz ticks."""
    with tempfile.TemporaryDirectory(prefix="bench-p1-") as tmp:
        settings = bench_settings(Path(tmp), appliance_list=appliances(sensors))
        period = settings.sampling.sample_period_seconds
        warmup = 100
        clock = JumpClock(START_EPOCH, stop_at=START_EPOCH + warmup * period)
        monitor = build(settings, clock=clock)
        (sampler,) = monitor.runner.samplers
        sampler.run()  # warm up: first configure() and the chips' first conversions
        clock.stop_at = clock.time() + ticks * period
        ticks_before = sampler.stats.ticks
        started = time.thread_time()
        sampler.run()
        cpu = time.thread_time() - started
        done = sampler.stats.ticks - ticks_before
        monitor.runner.writer.stop()
        monitor.runner.store.close()
    return cpu / (done * sensors) * 1e6


def run(ctx: Context) -> list[Figure]:
    """Both sensor counts."""
    ticks = 400 if ctx.smoke else 20_000
    return [
        Figure(
            "P1",
            f"CPU per sample per sensor, {n} sensors",
            cpu_per_sample_us(n, ticks),
            "µs",
            TARGET,
            f"{ticks:,} ticks at 20 Hz",
        )
        for n in (3, 16)
    ]
