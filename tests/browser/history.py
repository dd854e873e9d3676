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
    """A plausible DC load: a daily swing, sunnier and duller days, a cycle of its own."""
    hour = moment.hour + moment.minute / 60
    daily = 0.5 + 0.5 * math.sin((hour - 8) / 24 * 2 * math.pi)
    weather = 0.7 + 0.3 * math.sin(moment.toordinal() * 1.7 + appliance_id)
    cycle = 1.0 if (moment.minute // 10 + appliance_id) % 3 else 0.3
    return round(5 + 20 * appliance_id * daily * weather * cycle, 1)


def import_history(config: Path, folder: Path, *, days: int, appliance_ids: list[int]) -> None:
    """Write `days` whole days before today and today until an hour ago (in ZONE) as CSV and
    `energymon import` them, as a user importing the old system's log would."""
    zone = ZoneInfo(ZONE)
    now = dt.datetime.now(zone)
    moment = dt.datetime.combine(now.date() - dt.timedelta(days=days), dt.time(), zone)
    rows = ["timestamp,watts,appliance_id"]
    while moment < now - dt.timedelta(hours=1):
        stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
        rows += [f"{stamp},{_watts(a, moment)},{a}" for a in appliance_ids]
        moment += dt.timedelta(minutes=STEP_MINUTES)
    csv = folder / "history.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    subprocess.run(
        [str(ENERGYMON), "import", "--config", str(config), str(csv)],
        check=True,
        capture_output=True,
    )
