"""Find what grows in the server under P6's load: tracemalloc diffs between rounds (hunting only).

    python -m bench.memory_hunt [--warmup 100000] [--requests 50000] [--rounds 3] [--frames 12]

Starts `bench.instrumented_server` with BENCH_TRACEMALLOC, runs P6's mixed requests (`warmup`,
then `rounds` of `requests`), has the server dump its memory after each (SIGUSR1) and prints
VmRSS, glibc's heap figures, object counts and the tracemalloc tracebacks that grew most
between the first dump and each later one. Tracing slows the server several times over.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench import datagen
from bench.context import Context
from bench.loadgen import run_load
from bench.p6_memory import PATHS
from bench.server import start_server

MB = 1_000_000
TOP = 15


def _dump(server: Any, folder: Path, index: int) -> dict[str, Any]:
    """Ask the server for dump number `index` and wait until its JSON is written."""
    server.process.send_signal(signal.SIGUSR1)
    path = folder / f"memory-{index}.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            time.sleep(0.5)  # the JSON comes last, after the snapshot
            loaded: dict[str, Any] = json.loads(path.read_text())
            return loaded
        time.sleep(0.2)
    raise RuntimeError(f"no {path}")


def _print_state(label: str, state: dict[str, Any], first: dict[str, Any]) -> None:
    heap = state["mallinfo2"]
    used, free = heap.get("uordblks", 0) / MB, heap.get("fordblks", 0) / MB
    print(
        f"{label}: RSS {state['rss'] / MB:.2f} MB (+{(state['rss'] - first['rss']) / MB:.2f}), "
        f"malloc in use {used:.2f} MB, free {free:.2f} MB, mmapped {heap.get('hblkhd', 0) / MB:.2f}"
        f" MB, arena {heap.get('arena', 0) / MB:.2f} MB, traced {state.get('traced', 0) / MB:.2f}"
        f" MB, objects {state['gc_objects']:,}"
    )
    grown = {
        name: count - first["types"].get(name, 0)
        for name, count in state["types"].items()
        if count - first["types"].get(name, 0)
    }
    maps = {
        name: size - first["mappings"].get(name, 0)
        for name, size in state["mappings"].items()
        if abs(size - first["mappings"].get(name, 0)) >= 64 * 1024
    }
    print("  mappings grown (kB):", {k: v // 1024 for k, v in maps.items()})
    print("  types grown:", dict(sorted(grown.items(), key=lambda kv: -abs(kv[1]))[:12]))


def _print_diff(before: Path, after: Path) -> None:
    old = tracemalloc.Snapshot.load(str(before))
    new = tracemalloc.Snapshot.load(str(after))
    skip = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = new.filter_traces(skip).compare_to(old.filter_traces(skip), "traceback")
    for stat in stats[:TOP]:
        print(f"  {stat.size_diff / 1000:+9.1f} kB {stat.count_diff:+7d} blocks")
        for line in stat.traceback.format(limit=6, most_recent_first=True):
            print("      " + line)


def main() -> None:
    """Run the rounds and print what grew."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--no-trace", action="store_true", help="RSS and heap figures only")
    parser.add_argument("--data", choices=("none", "smoke", "year"), default="year")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-hunt-"))
    if args.data != "none":
        datagen.install(Context(smoke=args.data == "smoke").dataset(), folder / "data")
    env = {} if args.no_trace else {"BENCH_TRACEMALLOC": str(args.frames)}
    server = start_server(
        folder, env=env, command=[sys.executable, "-m", "bench.instrumented_server"]
    )
    try:
        server.wait_first_reading(timeout_seconds=120)
        urls = [server.url(path) for path in PATHS]
        load = run_load(urls, concurrency=16, requests=args.warmup, seconds=3600)
        print(f"warm-up: {load.requests:,} requests at {load.requests_per_second:.0f} req/s")
        first = _dump(server, folder, 0)
        _print_state("after warm-up", first, first)
        for index in range(1, args.rounds + 1):
            load = run_load(urls, concurrency=16, requests=args.requests, seconds=3600)
            state = _dump(server, folder, index)
            print(f"round {index}: {load.requests:,} requests, {load.errors} errors")
            _print_state(f"after round {index}", state, first)
            if not args.no_trace:
                _print_diff(folder / "memory-0.snap", folder / f"memory-{index}.snap")
            sys.stdout.flush()
    finally:
        server.stop()
    print(f"dumps in {folder}")


if __name__ == "__main__":
    main()
