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

With BENCH_TRACEMALLOC=N (frames) it traces allocations from the start; each SIGUSR1 then
writes `memory-<k>.snap` (a tracemalloc snapshot) and `memory-<k>.json` (VmRSS, glibc's
mallinfo2, gc counts, the commonest object types) beside the config file, for hunting what
grows (`python -m bench.memory_diff`). Without it SIGUSR1 writes the JSON alone.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import gc
import json
import os
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType
from typing import Any

from energymon.bootstrap import Service, build_service
from energymon.runtime.server import serve
from energymon.service.sampler import BusSampler
from energymon.settings import Settings, load_settings

TICKS_FILE = "sampler-ticks.json"
COMMON_TYPES = 40


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _mallinfo() -> dict[str, int]:
    try:
        info = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return {}
    info.restype = _MallInfo2
    found = info()
    return {name: int(getattr(found, name)) for name, *_ in _MallInfo2._fields_}


def _vm_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _rss_by_mapping() -> dict[str, int]:
    """Resident bytes per mapping kind: a file's name, [heap], [stack] or anon <size class>."""
    found: collections.Counter[str] = collections.Counter()
    name = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            size_kib = (end - start) // 1024
            name = fields[5] if len(fields) > 5 else f"anon {size_kib} kB"
        elif fields[0] == "Rss:":
            found[name] += int(fields[1]) * 1024
    return {name: size for name, size in found.most_common() if size}


def _dump_memory(folder: Path) -> None:
    """SIGUSR1: write the next memory-<k>.json (and .snap when tracing)."""
    count = len(list(folder.glob("memory-*.json")))
    types = collections.Counter(type(o).__name__ for o in gc.get_objects())
    state = {
        "rss": _vm_rss_bytes(),
        "mappings": _rss_by_mapping(),
        "mallinfo2": _mallinfo(),
        "gc_count": gc.get_count(),
        "gc_objects": sum(types.values()),
        "frozen": gc.get_freeze_count(),
        "types": dict(types.most_common(COMMON_TYPES)),
    }
    if tracemalloc.is_tracing():
        tracemalloc.take_snapshot().dump(str(folder / f"memory-{count}.snap"))
        state["traced"] = tracemalloc.get_traced_memory()[0]
    (folder / f"memory-{count}.json").write_text(json.dumps(state, indent=1))
    sys._debugmallocstats()  # pymalloc's arenas and pools, to stderr (the server's log)


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
    if frames := int(os.environ.get("BENCH_TRACEMALLOC", "0")):
        tracemalloc.start(frames)

    def dump(sig: int, frame: FrameType | None) -> None:
        _dump_memory(args.config.parent)

    signal.signal(signal.SIGUSR1, dump)

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
