"""P4b: the same question answered the seed's way, scanning its CSV log on every request.

`seed_historical_data` re-creates, minimally, what the original `GET /logs/historical-data`
did (see seed/energy-monitor-README.md): open `logs/energy_monitor.log`, parse every row with
the csv module and `datetime.strptime`, keep the rows newer than the cutoff as `data`, group
them by date and compute avg/max/min/count per day in Python. JSON encoding of the answer is
left out, which only flatters the seed.

The log holds the same data as energymon's year (the template day's readings, one row per
appliance per second, as the seed logged each reading). Scanning is linear in the rows, so it
is timed on ten days and scaled to 365. A second line times a log of one row per minute (the
seed README's sample rows are a minute apart), in case the seed logged that sparsely.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path
from typing import Any

from bench import datagen
from bench.context import Context
from bench.report import Figure, Target

TARGET_RATIO = Target(">=", 1000.0, "×")
YEAR_DAYS = 365


def seed_historical_data(log_path: Path, days: int, now: dt.datetime) -> dict[str, Any]:
    """The seed's historical data with daily stats, computed from the CSV log."""
    cutoff = now - dt.timedelta(days=days)
    data: list[dict[str, Any]] = []
    with log_path.open(newline="") as file:
        for row in csv.DictReader(file):
            # The seed's timestamps are naive local time, as it wrote them.
            timestamp = dt.datetime.strptime(row["timestamp"], "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007
            if timestamp >= cutoff:
                data.append(
                    {
                        "timestamp": timestamp.isoformat(),
                        "watts": float(row["watts"]),
                        "applianceId": int(row["appliance_id"]),
                    }
                )
    by_date: dict[str, list[float]] = {}
    for entry in data:
        by_date.setdefault(entry["timestamp"][:10], []).append(entry["watts"])
    daily_stats = [
        {
            "date": date,
            "avg_watts": round(sum(watts) / len(watts), 2),
            "max_watts": max(watts),
            "min_watts": min(watts),
            "total_readings": len(watts),
        }
        for date, watts in sorted(by_date.items())
    ]
    return {"data": data, "daily_stats": daily_stats}


def _year_seconds(log_path: Path, measured_days: float) -> tuple[float, int]:
    """Seconds one request takes on this log, scaled to a year; and the rows it returned."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    started = time.perf_counter()
    answer = seed_historical_data(log_path, YEAR_DAYS, now)
    elapsed = time.perf_counter() - started
    return elapsed * YEAR_DAYS / measured_days, len(answer["data"])


def run(ctx: Context) -> list[Figure]:
    """Time the seed's way and compare with energymon's p50 at c=1 from P4 (same run)."""
    seconds = 7_200 if ctx.smoke else 10 * 86_400
    days = seconds / 86_400
    per_second = datagen.seed_csv(ctx.cache_dir, seconds=seconds)
    per_minute = datagen.seed_csv(ctx.cache_dir, seconds=seconds, step_seconds=60)
    seed_s, rows = _year_seconds(per_second, days)
    sparse_s, sparse_rows = _year_seconds(per_minute, days)
    ours = ctx.figure("P4", "historical days=365 p50 c=1")
    ours_ms = ours.value if ours else float("nan")
    scaled = f"timed on {days:.3g} days ({rows:,} rows), × {YEAR_DAYS / days:.4g}"
    ratio_note = "energymon p50 c=1 from P4" if ours else "run with P4 for the ratio"
    return [
        Figure(
            "P4b", "seed way, per-second log, 1 request (year)", seed_s * 1000, "ms", note=scaled
        ),
        Figure(
            "P4b",
            "seed way, per-minute log, 1 request (year)",
            sparse_s * 1000,
            "ms",
            note=f"{sparse_rows:,} rows, × {YEAR_DAYS / days:.4g}",
        ),
        Figure(
            "P4b",
            "ratio seed (per-second log) / energymon",
            seed_s * 1000 / ours_ms,
            "×",
            TARGET_RATIO,
            ratio_note,
        ),
        Figure(
            "P4b",
            "ratio seed (per-minute log) / energymon",
            sparse_s * 1000 / ours_ms,
            "×",
            note="if the seed logged once a minute",
        ),
    ]
