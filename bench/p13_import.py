"""P13: `energymon import` of the seed's CSV log, through the real CLI, rows per second.

A seed-format log (`datagen.seed_csv`: the template day's readings, one row per appliance per
second, three appliances, ending at the last UTC midnight) is imported by `energymon import`
in a subprocess into a fresh data directory: file on disk to committed SQLite, rollups, the
imported-energy counter and the CSV log's retained past days. The rate is rows / wall time of
the whole command (start-up included). A second run of the same file is the idempotent pass:
every row is found known, nothing is added. The full run imports four days (1,036,800 rows),
inside raw and CSV-log retention, so every row takes the heaviest path.

The machine is shared: the rate per CPU second of the command (user + sys) is printed beside
the wall-clock rate, and a writer beside the import (a transaction every 50 ms, as a running
service's flushes) records its longest wait for the database: the import's transactions are
bounded to one block of the file (about 40,000 rows).
"""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import datagen
from bench.context import Context
from bench.report import Figure, Target, load_average
from bench.server import config_toml
from energymon.storage.sqlite import DB_FILENAME
from energymon.storage.sqlite.schema import BUSY_TIMEOUT_SECONDS

TARGET_ROWS_PER_S = Target(">=", 200_000, "rows/s")
APPLIANCES = 3
PROBE_INTERVAL_S = 0.05


def _energymon() -> list[str]:
    script = Path(sys.executable).with_name("energymon")
    return [str(script)] if script.exists() else [sys.executable, "-m", "energymon"]


class _WriterBeside:
    """A writer on the same database, as `serve` flushes: how long its BEGIN IMMEDIATE waits."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.longest_wait_s = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self.db_path.exists():
            if self._done.wait(PROBE_INTERVAL_S):
                return
        conn = sqlite3.connect(self.db_path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            while not self._done.wait(PROBE_INTERVAL_S):
                started = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                self.longest_wait_s = max(self.longest_wait_s, time.perf_counter() - started)
                conn.execute("COMMIT")
        finally:
            conn.close()

    def __enter__(self) -> _WriterBeside:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def _timed_import(config: Path, log: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of one `energymon import`, and its output."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [*_energymon(), "import", "--config", str(config), str(log)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"energymon import failed: {result.stdout}{result.stderr}")
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return elapsed, cpu_s, result.stdout


def run(ctx: Context) -> list[Figure]:
    """Import the log twice into a fresh data directory; rows/s of each pass."""
    seconds = 3_600 if ctx.smoke else 4 * 86_400
    log = datagen.seed_csv(ctx.cache_dir, seconds=seconds)
    rows = seconds * APPLIANCES
    folder = ctx.scratch("p13")
    config = folder / "energymon.toml"
    config.write_text(config_toml(folder / "data"), encoding="utf-8")
    with _WriterBeside(folder / "data" / DB_FILENAME) as beside:
        first_s, first_cpu_s, first_out = _timed_import(config, log)
    load_first = load_average()
    again_s, again_cpu_s, again_out = _timed_import(config, log)
    if f"{rows} new readings stored" not in first_out or "0 new readings stored" not in again_out:
        raise RuntimeError(f"unexpected import output:\n{first_out}{again_out}")
    size_mb = log.stat().st_size / 1e6
    note = f"{rows:,} rows ({size_mb:.0f} MB) in {first_s:.1f} s; load {load_first}"
    return [
        Figure(
            "P13",
            "import seed CSV log, rows/s",
            rows / first_s,
            "rows/s",
            # An hour's log (smoke) takes about as long as the command's start: no verdict.
            None if ctx.smoke else TARGET_ROWS_PER_S,
            note,
        ),
        Figure(
            "P13",
            "import, rows per CPU second of the command",
            rows / first_cpu_s,
            "rows/s",
            note=f"{first_cpu_s:.1f} s user+sys; an idle machine's rate is at most this",
        ),
        Figure(
            "P13",
            "import: longest wait of a writer beside it",
            beside.longest_wait_s * 1000,
            "ms",
            note=f"BEGIN IMMEDIATE every {PROBE_INTERVAL_S * 1000:.0f} ms, as serve's flushes",
        ),
        Figure(
            "P13",
            "re-import (all rows known), rows/s",
            rows / again_s,
            "rows/s",
            note=f"{again_s:.1f} s, {again_cpu_s:.1f} s CPU, nothing added; load {load_average()}",
        ),
    ]
