"""P2: sampler timing under query load: lag p99 and max, missed and duplicate periods, drift.

One rate after the other, each on its own server with a copy of the year of data: 1 Hz
(oversample_hz = 1, the seed's rate), then the default 20 Hz. Meanwhile a load generator
process asks that server for /logs/historical-data?days=365 in a loop (one request in flight).
The server is `bench.instrumented_server`, i.e. `energymon serve` with every sampler tick
recorded: its time and lag (actual − scheduled, the sampler's own figure); only ticks inside
the load window count. From the ticks' deadlines (time − lag) come the missed periods
(deadlines more than one period apart) and duplicates (two ticks for one deadline); drift is
how far the median lag of the window's last tenth moved from its first tenth.

Window: 150 s per rate, not 5 minutes, so `make bench` stays within 15 minutes (3,000 ticks at
20 Hz, 150 at 1 Hz). The two rates are not run at the same time: two servers each kept busy by
queries oversubscribe a 2-core machine, and the lags then measure the OS scheduler.
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
import time

from bench import datagen
from bench.context import Context
from bench.instrumented_server import TICKS_FILE
from bench.loadgen import run_load
from bench.report import Figure, Target, percentile
from bench.server import Server, start_server

PATH = "/logs/historical-data?days=365"
RATES_HZ = (1.0, 20.0)
TARGET_P99 = Target("<=", 10.0, "ms")
TARGET_NONE = Target("<=", 0, "")
TARGET_DRIFT = Target("<=", 1.0, "ms")  # "0 drift", within timer noise


def _tick_figures(
    label: str, period: float, ticks: list[tuple[float, float]], note: str
) -> list[Figure]:
    lags = [lag for _, lag in ticks]
    deadlines = [at - lag for at, lag in ticks]
    steps = [later - earlier for earlier, later in itertools.pairwise(deadlines)]
    missed = sum(max(0, round(step / period) - 1) for step in steps)
    duplicates = sum(1 for step in steps if step < period / 2)
    tenth = max(1, len(lags) // 10)
    drift = statistics.median(lags[-tenth:]) - statistics.median(lags[:tenth]) if lags else 0.0
    return [
        Figure(
            "P2",
            f"sampler lag p99 at {label}",
            percentile(lags, 0.99) * 1000,
            "ms",
            TARGET_P99,
            note,
        ),
        Figure("P2", f"sampler lag max at {label}", max(lags, default=0.0) * 1000, "ms"),
        Figure("P2", f"missed periods at {label}", missed, "", TARGET_NONE),
        Figure("P2", f"duplicate periods at {label}", duplicates, "", TARGET_NONE),
        Figure(
            "P2",
            f"drift at {label}",
            abs(drift) * 1000,
            "ms",
            TARGET_DRIFT,
            "median lag, last tenth − first tenth",
        ),
    ]


def _window_ticks(
    server: Server, start: float, end: float
) -> tuple[float, list[tuple[float, float]]]:
    (sampler,) = json.loads((server.folder / TICKS_FILE).read_text())
    ticks = [(at, lag) for at, lag in sampler["ticks"] if start <= at <= end]
    return sampler["period"], ticks


def _one_rate(ctx: Context, hz: float, seconds: float) -> list[Figure]:
    data = ctx.dataset()
    folder = ctx.scratch(f"p2-{hz:g}hz")
    datagen.install(data, folder / "data")
    server = start_server(
        folder,
        sampling={"oversample_hz": hz},
        storage={"retention_days": data.retention_days},
        command=[sys.executable, "-m", "bench.instrumented_server"],
    )
    try:
        server.wait_first_reading()
        start = time.monotonic()  # CLOCK_MONOTONIC is system-wide: the server's clock too
        load = run_load([server.url(PATH)], concurrency=1, requests=10**9, seconds=seconds)
        end = time.monotonic()
    finally:
        server.stop()
    period, ticks = _window_ticks(server, start, end)
    note = (
        f"{len(ticks):,} ticks in {end - start:.0f} s under {load.requests:,} queries "
        f"(p50 {load.p50_ms:.0f} ms)"
    )
    return _tick_figures(f"{hz:g} Hz", period, ticks, note)


def run(ctx: Context) -> list[Figure]:
    """Both rates, one after the other."""
    seconds = 3.0 if ctx.smoke else 150.0
    return [figure for hz in RATES_HZ for figure in _one_rate(ctx, hz, seconds)]
