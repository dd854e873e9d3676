"""P5: /energy on one uvicorn worker with every middleware on, at c=16 from another process.

Every middleware does its work on each request: the API key (ENERGYMON_API_KEY, sent in
X-API-Key), CORS (an Origin header, so the response gets its CORS headers), gzip (Accept-Encoding
sent; the small answer stays below the 1 KiB threshold, so the middleware runs but does not
compress) and the access log (on by default, a line per request).
"""

from __future__ import annotations

from bench.context import Context
from bench.loadgen import LoadResult, run_load
from bench.report import Figure, Target
from bench.server import Server, start_server

API_KEY = "bench-key-0123456789"
HEADERS = {
    "X-API-Key": API_KEY,
    "Origin": "http://192.168.1.20:3000",
    "Accept-Encoding": "gzip, deflate",
}
TARGET_RPS = Target(">=", 2500.0, "req/s")
TARGET_P99 = Target("<=", 20.0, "ms")


def start_keyed_server(ctx: Context, name: str) -> Server:
    """A server with the API key set and the access log on, serving readings."""
    server = start_server(ctx.scratch(name), env={"ENERGYMON_API_KEY": API_KEY})
    server.wait_first_reading()
    return server


def access_log_lines(server: Server) -> int:
    """Lines in today's API access log (proof the access log middleware ran)."""
    logs = server.folder / "data" / "logs"
    return sum(path.read_bytes().count(b"\n") for path in logs.glob("api_access.log*"))


def measure(server: Server, *, requests: int, seconds: float) -> LoadResult:
    """Warm up, then load /energy at c=16."""
    url = server.url("/energy?applianceId=1")
    run_load([url], concurrency=16, requests=200, seconds=10, headers=HEADERS)
    return run_load([url], concurrency=16, requests=requests, seconds=seconds, headers=HEADERS)


def run(ctx: Context) -> list[Figure]:
    """One server, one load run."""
    server = start_keyed_server(ctx, "p5")
    try:
        requests, seconds = (1_000, 3.0) if ctx.smoke else (40_000, 15.0)
        result = measure(server, requests=requests, seconds=seconds)
    finally:
        server.stop()
    logged = access_log_lines(server)  # after stop: the log's writer thread has drained
    errors = f", {result.errors} errors {result.statuses}" if result.errors else ""
    note = (
        f"{result.requests:,} requests in {result.elapsed_seconds:.1f} s{errors}; load generator "
        f"CPU {result.client_cpu_seconds / result.elapsed_seconds:.0%} of a core; "
        f"{logged:,} access log lines"
    )
    return [
        Figure(
            "P5",
            "/energy all middleware c=16 throughput",
            result.requests_per_second,
            "req/s",
            TARGET_RPS,
            note,
        ),
        Figure(
            "P5",
            "/energy all middleware c=16 p99",
            result.p99_ms,
            "ms",
            TARGET_P99,
            f"p50 {result.p50_ms:.1f} ms, max {result.max_ms:.1f} ms",
        ),
    ]
