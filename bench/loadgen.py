"""An HTTP load generator on loopback, run as its own process so it never shares the server's GIL.

    python -m bench.loadgen --url URL [--url URL ...] --concurrency 16 --requests 5000 \
        --seconds 30 [--header "X-API-Key: k"] [--client raw|httpx]

Each of `concurrency` workers keeps one keep-alive connection per host and requests the URLs in
turn (worker i starting at URL i), until `requests` are done in all or `seconds` have passed.
Prints one JSON object: counts, statuses, elapsed seconds, req/s, latency percentiles (ms) and
the generator's own CPU seconds (to show it was not the bottleneck).

`raw` (the default) speaks HTTP/1.1 over asyncio streams: a few µs per request, so one core can
drive a server many times faster than ours. `httpx` uses httpx.AsyncClient with keep-alive; it
costs several times more CPU per request, enough to limit what it measures at c=16.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.report import percentile

__all__ = ["LoadResult", "run_load"]

# Not bench.context's: importing it loads energymon (0.5 s), paid again by every run_load.
REPO_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one load run measured."""

    requests: int
    errors: int
    statuses: dict[str, int]
    elapsed_seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_seconds: float
    response_bytes: int


class _Tally:
    """The shared request budget and what the workers measured."""

    def __init__(self, requests: int, seconds: float) -> None:
        self.left = requests
        self.deadline = time.perf_counter() + seconds
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.response_bytes = 0

    def take(self) -> bool:
        """Whether another request may start."""
        if self.left <= 0 or time.perf_counter() >= self.deadline:
            return False
        self.left -= 1
        return True

    def record(self, outcome: str, started: float | None = None, size: int = 0) -> None:
        """Count a status (or an error's name); with `started`, its latency and size too."""
        self.statuses[outcome] = self.statuses.get(outcome, 0) + 1
        if started is not None:
            self.latencies.append(time.perf_counter() - started)
            self.response_bytes += size


async def _raw_get(
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
) -> tuple[int, int]:
    reader, writer = streams
    writer.write(request)
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, len(await reader.readexactly(length))
    size = 0
    while chunk := int((await reader.readline()).split(b";")[0], 16):
        size += len(await reader.readexactly(chunk + 2)) - 2
    await reader.readline()
    return status, size


async def _raw_worker(urls: list[str], headers: dict[str, str], tally: _Tally) -> None:
    connections: dict[str, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
    requests = []
    for url in urls:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        head = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        requests.append((parts, (head + "\r\n").encode("latin-1")))
    turn = 0
    while tally.take():
        parts, request = requests[turn % len(requests)]
        turn += 1
        started = time.perf_counter()
        try:
            if parts.netloc not in connections:
                connections[parts.netloc] = await asyncio.open_connection(
                    parts.hostname, parts.port
                )
            status, size = await _raw_get(connections[parts.netloc], request)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            connections.pop(parts.netloc, None)
            tally.record(type(exc).__name__)
            continue
        tally.record(str(status), started, size)
    for _, writer in connections.values():
        writer.close()


async def _httpx_worker(client: object, urls: list[str], tally: _Tally) -> None:
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    turn = 0
    while tally.take():
        url = urls[turn % len(urls)]
        turn += 1
        started = time.perf_counter()
        try:
            response = await client.get(url)
            body = await response.aread()
        except httpx.HTTPError as exc:
            tally.record(type(exc).__name__)
            continue
        tally.record(str(response.status_code), started, len(body))


async def _load(args: argparse.Namespace) -> dict[str, object]:
    headers = dict(h.split(": ", 1) for h in args.header)
    tally = _Tally(args.requests, args.seconds)
    started, cpu_started = time.perf_counter(), time.process_time()
    order = [args.url[i:] + args.url[:i] for i in range(args.concurrency)]
    if args.client == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=args.concurrency * len(args.url))
        async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60) as client:
            await asyncio.gather(*(_httpx_worker(client, urls, tally) for urls in order))
    else:
        await asyncio.gather(*(_raw_worker(urls, headers, tally) for urls in order))
    elapsed = time.perf_counter() - started
    latencies = tally.latencies
    return {
        "requests": len(latencies),
        "errors": sum(n for status, n in tally.statuses.items() if not status.startswith("2")),
        "statuses": tally.statuses,
        "elapsed_seconds": elapsed,
        "requests_per_second": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=float("nan")) * 1000,
        "client_cpu_seconds": time.process_time() - cpu_started,
        "response_bytes": tally.response_bytes,
    }


def run_load(
    urls: list[str],
    *,
    concurrency: int,
    requests: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    client: str = "raw",
) -> LoadResult:
    """Run the generator in a child process and return what it measured."""
    command = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--concurrency",
        str(concurrency),
        "--requests",
        str(requests),
        "--seconds",
        str(seconds),
        "--client",
        client,
    ]
    for url in urls:
        command += ["--url", url]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    done = subprocess.run(
        command, cwd=REPO_DIR, capture_output=True, check=True, timeout=seconds + 120
    )
    return LoadResult(**json.loads(done.stdout))


def main() -> None:
    """Command line entry: parse, load, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    print(json.dumps(asyncio.run(_load(parser.parse_args()))))


if __name__ == "__main__":
    main()
