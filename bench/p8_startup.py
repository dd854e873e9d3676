"""P8: time from exec of `energymon serve` to the first reading served by GET /energy.

Each run starts the console script on a fresh data folder and polls /energy every 10 ms from
just before exec until it answers 200 with a reading. The first reading exists once the first
one-second window has closed, so up to a second of the figure is the window itself.
"""

from __future__ import annotations

import statistics

from bench.context import Context
from bench.report import Figure, Target
from bench.server import start_server

TARGET = Target("<=", 2.0, "s")


def run(ctx: Context) -> list[Figure]:
    """The median and the slowest of a few cold starts."""
    runs = 1 if ctx.smoke else 5
    seconds = []
    for attempt in range(runs):
        server = start_server(ctx.scratch(f"p8-{attempt}"))
        try:
            seconds.append(server.wait_first_reading())
        finally:
            server.stop()
    note = "runs: " + ", ".join(f"{s:.2f}" for s in seconds)
    return [
        Figure(
            "P8",
            "exec to first reading served, median",
            statistics.median(seconds),
            "s",
            TARGET,
            note,
        ),
        Figure("P8", "exec to first reading served, slowest", max(seconds), "s", TARGET),
    ]
