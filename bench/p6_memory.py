"""P6: resident memory of the service after start, whether it plateaus under requests, and
after an hour of sampling.

Start and requests: `energymon serve` with the three simulated appliances on a copy of the
benchmark year (`ctx.dataset()`, as P4 uses), so every answer is already as large as it gets
(`historical-data?days=1` is today's minute buckets, ~2,000 rows); on an empty folder the
answers grow with every reading the server records (up to MAX_POINTS per appliance), and the
memory they need grows with them, which is not what a plateau is about. RSS (VmRSS) once the
first reading is served and two seconds have passed; after a warm-up of 100,000 requests at
c=16 over the seed's read endpoints in turn; after a further 300,000. The growth over the
further 300,000 is the figure with the target: pools, caches and the allocator's high-water
mark have filled during the warm-up, so what still grows would be a leak.

An hour of sampling: an hour is too long to wait, so a child process (`python -m
bench.p6_memory --simulate-seconds N`) wires the service exactly as `serve` does, without HTTP,
and runs the sampler's deadline loop on a JumpClock for a simulated hour at 20 Hz, the writer
flushing into SQLite every 10 simulated seconds; it reports its RSS before and after.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import datagen
from bench.context import REPO_DIR, Context
from bench.harness import JumpClock, bench_settings
from bench.loadgen import run_load
from bench.report import Figure, Target
from bench.server import start_server

MB = 1_000_000
TARGET_RSS = Target("<=", 70.0, "MB")
TARGET_GROWTH = Target("<=", 10.0, "MB")
TARGET_PLATEAU = Target("<=", 2.0, "MB")
# (warm-up, further requests); each load is also bounded in time (LOAD_SECONDS).
REQUESTS = {True: (1_500, 4_500), False: (100_000, 300_000)}
LOAD_SECONDS = {True: 10.0, False: 3_600.0}
PATHS = (
    "/energy?applianceId=1",
    "/energy/history?applianceId=2",
    "/appliances",
    "/energy?applianceId=3",
    "/logs/historical-data?days=1",
    "/energy/summary?period=day",
    "/health",
)


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def simulate(seconds: float) -> dict[str, float]:
    """Sample for `seconds` of simulated time in this process; RSS before and after (bytes)."""
    from energymon.bootstrap import build
    from energymon.logging import configure_logging

    configure_logging("warning")
    with tempfile.TemporaryDirectory(prefix="bench-p6-") as tmp:
        settings = bench_settings(Path(tmp))
        clock = JumpClock(time.time(), stop_at=time.time() + 60)
        monitor = build(settings, clock=clock)
        clock.every(settings.storage.flush_interval_seconds, monitor.runner.writer.flush)
        (sampler,) = monitor.runner.samplers
        sampler.run()  # a simulated minute to reach the steady state
        before, ticks_before = _rss_bytes(), sampler.stats.ticks
        clock.stop_at = clock.time() + seconds
        sampler.run()
        after = _rss_bytes()
        monitor.runner.writer.stop()
        monitor.runner.store.close()
    return {"before": before, "after": after, "ticks": sampler.stats.ticks - ticks_before}


def _span(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min"


def _simulated_hour(seconds: float) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.p6_memory", "--simulate-seconds", str(seconds)]
    done = subprocess.run(command, cwd=REPO_DIR, capture_output=True, check=True, timeout=900)
    result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return result


def run(ctx: Context) -> list[Figure]:
    """The server's RSS figures, then the simulated hour's growth."""
    warmup, further = REQUESTS[ctx.smoke]
    seconds = LOAD_SECONDS[ctx.smoke]
    data = ctx.dataset()
    folder = ctx.scratch("p6")
    datagen.install(data, folder / "data")
    server = start_server(folder, storage={"retention_days": data.retention_days})
    try:
        server.wait_first_reading()
        time.sleep(2.0)
        started_rss = server.rss_bytes()
        urls = [server.url(path) for path in PATHS]
        first = run_load(urls, concurrency=16, requests=warmup, seconds=seconds)
        warm_rss = server.rss_bytes()
        rest = run_load(urls, concurrency=16, requests=further, seconds=seconds)
        time.sleep(1.0)
        loaded_rss = server.rss_bytes()
    finally:
        server.stop()
    simulated = 60.0 if ctx.smoke else 3_600.0
    hour = _simulated_hour(simulated)
    errors = first.errors + rest.errors
    note = (
        f"{first.requests:,} + {rest.requests:,} requests at {rest.requests_per_second:.0f} req/s,"
        f" {errors} errors; RSS {started_rss / MB:.1f} → {warm_rss / MB:.1f} → "
        f"{loaded_rss / MB:.1f} MB"
    )
    return [
        Figure(
            "P6", "RSS after start, 3 sensors, a year of data", started_rss / MB, "MB", TARGET_RSS
        ),
        Figure(
            "P6",
            f"RSS growth over a warm-up of {first.requests:,} requests",
            (warm_rss - started_rss) / MB,
            "MB",
            note="pools, caches and the allocator's high-water mark filling",
        ),
        Figure(
            "P6",
            f"RSS growth over a further {rest.requests:,} requests",
            (loaded_rss - warm_rss) / MB,
            "MB",
            TARGET_PLATEAU,
            note,
        ),
        Figure(
            "P6",
            f"RSS growth after {_span(simulated)} simulated sampling",
            (hour["after"] - hour["before"]) / MB,
            "MB",
            TARGET_GROWTH,
            f"{hour['ticks']:,} ticks at 20 Hz, 3 sensors, flush every 10 s",
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="P6's simulated sampling, in its own process")
    parser.add_argument("--simulate-seconds", type=float, required=True)
    print(json.dumps(simulate(parser.parse_args().simulate_seconds)))
