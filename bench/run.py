"""Run the benchmarks: `python -m bench.run [--smoke] [--only P1,P3]`.

Each measure prints one line per figure as it finishes: id, what, value, target, verdict.
The full run (`make bench`) then writes the table to bench/results/latest.md; `--smoke` (CI)
runs everything tiny and writes bench/.cache/results-smoke.md instead. Misses never fail the
run: benchmarks print, they do not gate. A measure that crashes does (exit status 1).

Order: in-process measures first, then one server at a time (P10 runs its own Mosquitto for a
minute of broker flapping); P2 and P7 share the last window
(P7 needs an undisturbed server for over 5 minutes, P2 five minutes of query load, and both
mostly wait), so the full run takes about 18 minutes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
import traceback
from pathlib import Path
from types import ModuleType

from bench import (
    p1_sample_cpu,
    p2_sampler_timing,
    p3_throughput,
    p4_history_query,
    p4b_seed_csv,
    p5_http_load,
    p6_memory,
    p7_disk_bytes,
    p8_startup,
    p9_energy_accuracy,
    p10_mqtt,
    p11_page,
    p12_history_sweep,
    p13_import,
)
from bench.context import BENCH_DIR, Context
from bench.report import Figure, load_average, markdown_table
from energymon.logging import configure_logging

# Stages in order; the measures of one stage run at the same time.
STAGES: tuple[tuple[tuple[str, ModuleType], ...], ...] = (
    (("P1", p1_sample_cpu),),
    (("P9", p9_energy_accuracy),),
    (("P3", p3_throughput),),
    (("P8", p8_startup),),
    (("P4", p4_history_query),),
    (("P4b", p4b_seed_csv),),
    (("P5", p5_http_load),),
    (("P6", p6_memory),),
    (("P10", p10_mqtt),),
    (("P11", p11_page),),
    (("P12", p12_history_sweep),),
    (("P13", p13_import),),
    (("P2", p2_sampler_timing), ("P7", p7_disk_bytes)),
)
RESULTS = BENCH_DIR / "results" / "latest.md"


def _run_measure(ctx: Context, measure: str, module: ModuleType, failures: list[str]) -> None:
    started = time.perf_counter()
    try:
        figures: list[Figure] = module.run(ctx)
    except Exception:
        failures.append(measure)
        print(f"{measure:<4} FAILED after {time.perf_counter() - started:.0f} s", flush=True)
        traceback.print_exc()
        return
    ctx.figures[measure] = figures
    for figure in figures:
        print(figure.line(), flush=True)


def _run_stage(ctx: Context, stage: list[tuple[str, ModuleType]], failures: list[str]) -> None:
    threads = [
        threading.Thread(target=_run_measure, args=(ctx, measure, module, failures))
        for measure, module in stage
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _notes(ctx: Context, elapsed: float, load_at_start: str) -> list[str]:
    sizes = " (smoke sizes)" if ctx.smoke else ""
    notes = [
        f"Whole run: {elapsed / 60:.1f} min{sizes}; load average {load_at_start} at start.",
        "",
    ]
    notes.append("How each figure is measured (each module's docstring has the details):")
    notes.append("")
    for stage in STAGES:
        for measure, module in stage:
            summary = (module.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
            summary = summary.removeprefix(f"{measure}: ")
            notes.append(f"- **{measure}** ({Path(module.__file__ or '').name}): {summary}")
    return notes


def main(argv: list[str] | None = None) -> int:
    """Run the selected measures; 1 if any crashed."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, under a minute")
    parser.add_argument("--only", default="", help="comma-separated ids, e.g. P1,P4b")
    args = parser.parse_args(argv)
    only = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    configure_logging("warning")
    ctx = Context(smoke=args.smoke)
    failures: list[str] = []
    load_at_start = load_average()
    started = time.perf_counter()
    for stage in STAGES:
        chosen = [(m, module) for m, module in stage if not only or m.upper() in only]
        if chosen:
            _run_stage(ctx, chosen, failures)
    elapsed = time.perf_counter() - started
    shutil.rmtree(ctx.work_dir, ignore_errors=True)
    figures = [f for stage in STAGES for measure, _ in stage for f in ctx.figures.get(measure, [])]
    title = "energymon benchmarks" + (" (smoke)" if args.smoke else "")
    if args.smoke or only:
        target = ctx.cache_dir / ("results-smoke.md" if args.smoke else "results-partial.md")
    else:
        target = RESULTS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        markdown_table(figures, title=title, notes=_notes(ctx, elapsed, load_at_start))
    )
    missed = sum(f.verdict == "MISSED" for f in figures)
    print(
        f"\n{len(figures)} figures, {missed} missed, {len(failures)} failed measures "
        f"{failures or ''} in {elapsed:.0f} s; table in {target}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
