"""P4: /logs/historical-data?days=365 over a year of data for 3 appliances, c=1 and c=16.

The server is `energymon serve` on a copy of the cached year (per-second raw rows for the
retention window, rollups for the rest), sampling its three simulated sensors meanwhile. The
load generator runs in its own process on loopback and asks with `Accept-Encoding: gzip`, as
the app (and httpx, and browsers) do, so the figures include compressing the answer.
"""

from __future__ import annotations

import httpx

from bench import datagen
from bench.context import Context
from bench.loadgen import LoadResult, run_load
from bench.report import Figure, Target
from bench.server import start_server

PATH = "/logs/historical-data?days=365"
TARGET_P99 = Target("<=", 25.0, "ms")
HEADERS = {"Accept-Encoding": "gzip"}


def _describe(url: str) -> str:
    """What one answer holds, to show the query did the whole year's work."""
    response = httpx.get(url, headers=HEADERS, timeout=60)
    response.raise_for_status()
    body = response.json()
    wire = response.num_bytes_downloaded
    return (
        f"{len(body['daily_stats'])} days, {len(body['data']):,} points, "
        f"{len(response.content) // 1024:,} KiB JSON, {wire // 1024:,} KiB gzipped"
    )


def _figures(label: str, result: LoadResult, target: Target | None, note: str) -> list[Figure]:
    errors = f", {result.errors} errors {result.statuses}" if result.errors else ""
    detail = f"{result.requests} requests, {result.requests_per_second:.0f} req/s{errors}"
    return [
        Figure("P4", f"historical days=365 p50 {label}", result.p50_ms, "ms", None, detail),
        Figure("P4", f"historical days=365 p99 {label}", result.p99_ms, "ms", target, note),
    ]


def run(ctx: Context) -> list[Figure]:
    """Both concurrencies on one server."""
    data = ctx.dataset()
    folder = ctx.scratch("p4")
    datagen.install(data, folder / "data")
    server = start_server(folder, storage={"retention_days": data.retention_days})
    try:
        server.wait_first_reading()
        url = server.url(PATH)
        note = _describe(url)
        run_load([url], concurrency=1, requests=5, seconds=30, headers=HEADERS)  # warm up
        # Bounded by count and by time: at most `seconds` of starting requests per concurrency.
        count, seconds = (30, 3.0) if ctx.smoke else (2_000, 15.0)
        c1 = run_load([url], concurrency=1, requests=count, seconds=seconds, headers=HEADERS)
        c16 = run_load([url], concurrency=16, requests=count, seconds=seconds, headers=HEADERS)
    finally:
        server.stop()
    return _figures("c=1", c1, TARGET_P99, note) + _figures("c=16", c16, None, "")
