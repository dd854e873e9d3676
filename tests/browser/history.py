"""Days of history in the original system's CSV format, imported before a server starts, so
the page's charts have something to draw (and imported readings, without volts and amps)."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.e2e.support import ENERGYMON, ZONE

__all__ = ["import_history"]

STEP_MINUTES = 10


def _watts(appliance_id: int, moment: dt.datetime) -> float:
    """A plausible DC load: a daily swing plus a cycle of its own per appliance."""
    hour = moment.hour + moment.minute / 60
    daily = 0.5 + 0.5 * math.sin((hour - 8) / 24 * 2 * math.pi)
    cycle = 1.0 if (moment.minute // 10 + appliance_id) % 3 else 0.3
    return round(5 + 20 * appliance_id * daily * cycle, 1)


def import_history(config: Path, folder: Path, *, days: int, appliance_ids: list[int]) -> None:
    """Write `days` whole days before today (in ZONE) as CSV and `energymon import` them."""
    zone = ZoneInfo(ZONE)
    today = dt.datetime.now(zone).date()
    rows = ["timestamp,watts,appliance_id"]
    for offset in range(days, 0, -1):
        start = dt.datetime.combine(today - dt.timedelta(days=offset), dt.time(), zone)
        for step in range(24 * 60 // STEP_MINUTES):
            moment = start + dt.timedelta(minutes=step * STEP_MINUTES)
            stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
            rows += [f"{stamp},{_watts(a, moment)},{a}" for a in appliance_ids]
    csv = folder / "history.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    subprocess.run(
        [str(ENERGYMON), "import", "--config", str(config), str(csv)],
        check=True,
        capture_output=True,
    )
