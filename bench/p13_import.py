"""P13: `energymon import` of the seed's CSV log, through the real CLI, rows per second.

A seed-format log (`datagen.seed_csv`: the template day's readings, one row per appliance per
second, three appliances, ending at the last UTC midnight) is imported by `energymon import`
in a subprocess into a fresh data directory: file on disk to committed SQLite, rollups, the
imported-energy counter and the CSV log's retained past days. The rate is rows / wall time of
the whole command (start-up included). A second run of the same file is the idempotent pass:
every row is found known, nothing is added. The full run imports four days (1,036,800 rows),
inside raw and CSV-log retention, so every row takes the heaviest path.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench import datagen
from bench.context import Context
from bench.report import Figure, Target, load_average
from bench.server import config_toml

TARGET_ROWS_PER_S = Target(">=", 200_000, "rows/s")
APPLIANCES = 3


def _energymon() -> list[str]:
    script = Path(sys.executable).with_name("energymon")
    return [str(script)] if script.exists() else [sys.executable, "-m", "energymon"]


def _timed_import(config: Path, log: Path) -> tuple[float, str]:
    """Wall seconds of one `energymon import`, and its output."""
    started = time.perf_counter()
    result = subprocess.run(
        [*_energymon(), "import", "--config", str(config), str(log)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"energymon import failed: {result.stdout}{result.stderr}")
    return elapsed, result.stdout


def run(ctx: Context) -> list[Figure]:
    """Import the log twice into a fresh data directory; rows/s of each pass."""
    seconds = 3_600 if ctx.smoke else 4 * 86_400
    log = datagen.seed_csv(ctx.cache_dir, seconds=seconds)
    rows = seconds * APPLIANCES
    folder = ctx.scratch("p13")
    config = folder / "energymon.toml"
    config.write_text(config_toml(folder / "data"), encoding="utf-8")
    first_s, first_out = _timed_import(config, log)
    load_first = load_average()
    again_s, again_out = _timed_import(config, log)
    if f"{rows} new readings stored" not in first_out or "0 new readings stored" not in again_out:
        raise RuntimeError(f"unexpected import output:\n{first_out}{again_out}")
    size_mb = log.stat().st_size / 1e6
    note = f"{rows:,} rows ({size_mb:.0f} MB), {first_s:.1f} s; load {load_first}"
    return [
        Figure(
            "P13", "import seed CSV log, rows/s", rows / first_s, "rows/s", TARGET_ROWS_PER_S, note
        ),
        Figure(
            "P13",
            "re-import (all rows known), rows/s",
            rows / again_s,
            "rows/s",
            note=f"{again_s:.1f} s, nothing added; load {load_average()}",
        ),
    ]
