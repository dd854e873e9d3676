"""R1: SIGKILL at random moments while the service writes; after each, nothing durable is lost.

A power cut may lose at most the flush window still in memory (DESIGN.md, Durability). Here a
flush runs every 0.2 s and a reading every 0.1 s, so a kill lands in or between flushes often;
every restart must find a sound database holding every reading the API showed that was older
than one flush window, lifetime counters that never went back, and a CSV log its parser reads.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import httpx

from energymon.storage.seedlog import HEADER
from tests.reliability.support import (
    APPLIANCE_IDS,
    Budget,
    DiskState,
    Figures,
    PipedServer,
    epoch_ms,
    lifetime_wh,
    make_piped_server,
    read_csv_log,
    read_database,
)

FLUSH_SECONDS = 0.2
INTERVAL_SECONDS = 0.1  # tests.e2e.support.config_mapping's storage interval
# A reading is durable once the flush after its interval has committed: interval + flush, plus
# this much for the sampler tick that emits it and the commit's own fsync on a busy machine.
SCHEDULING_SECONDS = 0.25
LOSS_WINDOW_SECONDS = INTERVAL_SECONDS + FLUSH_SECONDS + SCHEDULING_SECONDS
HISTORY_LIMIT = 1000  # more than one run's readings per appliance
STARTUP_KILL_EVERY = 5  # every 5th kill lands while the service starts (opening, migrating)
WH_TOLERANCE = 1e-9


def _observe(client: httpx.Client) -> tuple[dict[int, float], dict[tuple[int, int], float]]:
    """Lifetime counters, then every appliance's recent readings (so they hold what was
    counted): watts by (appliance_id, timestamp_ms)."""
    lifetime = lifetime_wh(client)
    readings: dict[tuple[int, int], float] = {}
    for appliance_id in APPLIANCE_IDS:
        response = client.get(
            "/energy/history", params={"applianceId": appliance_id, "limit": HISTORY_LIMIT}
        )
        assert response.status_code == 200, response.text
        for item in response.json()["data"]:
            readings[(appliance_id, epoch_ms(item["timestamp_utc"]))] = item["watts"]
    return lifetime, readings


def _assert_sound(disk: DiskState, data_dir: Path) -> None:
    assert disk.integrity == ["ok"]
    raw, parsed = read_csv_log(data_dir)
    assert raw.startswith(HEADER)
    assert parsed.errors == [], f"CSV log lines its parser rejects: {parsed.errors}"


def _kill_during_startup(server: PipedServer, rng: random.Random) -> None:
    server.launch()
    time.sleep(rng.uniform(0.0, 0.8))  # the random moment is the test, not a synchronisation
    server.kill()


def _kill_while_serving(
    server: PipedServer, rng: random.Random, durable_wh: dict[int, float]
) -> tuple[float, dict[int, float], dict[tuple[int, int], float]]:
    """Run until a random moment, look through the API, kill; returns the kill time and what
    was seen."""
    server.start()
    with server.client() as client:
        resumed = lifetime_wh(client)
        for appliance_id, wh in durable_wh.items():
            assert resumed[appliance_id] >= wh - WH_TOLERANCE, "counter went back at restart"
        time.sleep(rng.uniform(0.05, 0.45))  # the random moment is the test
        lifetime, seen = _observe(client)
    time.sleep(rng.uniform(0.0, FLUSH_SECONDS))
    killed_at = time.time()
    server.kill()
    return killed_at, lifetime, seen


def test_sigkill_at_random_moments_loses_at_most_one_flush_window(
    tmp_path: Path, budget: Budget, figures: Figures
) -> None:
    """Killed again and again, the service leaves a sound database with every reading older
    than one flush window, counters that never go back and a CSV log without torn lines."""
    server = make_piped_server(
        tmp_path, storage={"flush_interval_seconds": FLUSH_SECONDS, "csv_interval_seconds": 1.0}
    )
    rng = random.Random(6)
    must_keep: dict[tuple[int, int], float] = {}
    durable_wh: dict[int, float] = {}
    for kill in range(budget.kills):
        startup = kill % STARTUP_KILL_EVERY == STARTUP_KILL_EVERY - 1
        if startup:
            _kill_during_startup(server, rng)
            lifetime, seen, killed_at = {}, {}, 0.0
        else:
            killed_at, lifetime, seen = _kill_while_serving(server, rng, durable_wh)
        server.wait_output_closed()
        disk = read_database(server.data_dir)
        _assert_sound(disk, server.data_dir)

        cutoff_ms = (killed_at - LOSS_WINDOW_SECONDS) * 1000
        interval_ms = INTERVAL_SECONDS * 1000
        must_keep |= {key: w for key, w in seen.items() if key[1] + interval_ms <= cutoff_ms}
        lost = [key for key in must_keep if key not in disk.readings]
        assert lost == [], f"kill {kill}: {len(lost)} durable readings lost, e.g. {lost[:3]}"
        changed = [k for k, w in must_keep.items() if round(disk.readings[k].watts, 3) != w]
        assert changed == [], f"kill {kill}: readings changed on disk: {changed[:3]}"

        for appliance_id, wh in durable_wh.items():
            assert disk.lifetime_wh.get(appliance_id, 0.0) >= wh - WH_TOLERANCE
        # What the API counted before the kill is on disk, but for the readings it lost.
        for appliance_id, counted_wh in lifetime.items():
            unflushed_wh = sum(
                watts * INTERVAL_SECONDS / 3600
                for (owner, ts), watts in seen.items()
                if owner == appliance_id and (owner, ts) not in disk.readings
            )
            shortfall = counted_wh - disk.lifetime_wh.get(appliance_id, 0.0)
            assert shortfall <= 2 * unflushed_wh + WH_TOLERANCE, (appliance_id, shortfall)
        durable_wh = dict(disk.lifetime_wh)
        figures.add("R1 kills survived")
        figures.peak("R1 durable readings verified after every kill", len(must_keep))

    server.start()  # and once more: the last kill's database serves
    assert server.stop() == 0
    assert read_database(server.data_dir).integrity == ["ok"]
