"""P7: bytes written to disk per stored reading at the default flush (10 s).

`energymon serve` with the default settings (three simulated appliances, 20 Hz, a reading per
appliance per second, CSV log on) runs undisturbed on a fresh folder on the real disk.
From the end of its first flush, the bench reads the process's `write_bytes` in
/proc/<pid>/io (what it caused to be written to the block layer: the WAL, the database at
checkpoints, the CSV and access logs) and the count of committed readings, then again at the
end of the window. The full window covers more than 30 flushes, so it includes a checkpoint
(the WAL copied into the database file every 30 flushes).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bench.context import Context
from bench.report import Figure, Target
from bench.server import start_server

TARGET = Target("<=", 1000.0, "B")


def _stored(db_path: Path) -> int:
    """Committed readings, read through a read-only connection."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as conn:
        count: int = conn.execute("SELECT count(*) FROM readings").fetchone()[0]
    return count


def run(ctx: Context) -> list[Figure]:
    """One server, one window."""
    # Smoke: a 2 s flush, so two flushes fit in a few seconds (the figure then means little).
    seconds, storage = (4.5, {"flush_interval_seconds": 2.0}) if ctx.smoke else (320.0, None)
    server = start_server(ctx.scratch("p7"), storage=storage)
    try:
        server.wait_first_reading()
        while not server.db_path.exists() or _stored(server.db_path) == 0:
            time.sleep(0.2)  # the first flush, one flush interval after start
        first_bytes, first_rows = server.write_bytes(), _stored(server.db_path)
        time.sleep(seconds)
        last_bytes, last_rows = server.write_bytes(), _stored(server.db_path)
    finally:
        server.stop()
    rows = last_rows - first_rows
    written = last_bytes - first_bytes
    note = f"{written:,} B for {rows:,} readings over {seconds:g} s"
    return [
        Figure(
            "P7", "disk bytes written per stored reading", written / max(rows, 1), "B", TARGET, note
        )
    ]
