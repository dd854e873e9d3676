"""Issue 10, items 4 and 6: importing history beside a running service, and removed appliances.

A seed CSV log of past days is imported with the real `energymon import` while a real
`energymon serve` records simulated constant loads. The live counter must go on counting
only what the loads draw (no spike of a year's energy in Prometheus); the history goes into
its own days, its own counter and the CSV log's past days, with volts and amps null. An
appliance dropped from the configuration keeps its data and is named at start.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from energymon.storage.sqlite import DB_FILENAME
from energymon.storage.sqlite.tables import SqliteTables
from tests.e2e.support import ENERGYMON, ZONE, config_mapping, free_port, wait_until, write_config
from tests.reliability.support import PipedServer, counter_by_appliance, metric_families

BERLIN = ZoneInfo(ZONE)
JOULES_PER_WH = 3600.0
IMPORT_TIMEOUT_SECONDS = 60.0
RETENTION_DAYS = 7  # the default: raw readings and the CSV log

# Constant loads at 12 V without noise: the live counter may grow by these watts and no more.
LIVE_WATTS = {1: 12.0, 2: 24.0, 3: 6.0}
APPLIANCES: list[dict[str, Any]] = [
    {"id": appliance_id, "name": name, "driver": "simulated", "address": address,
     "simulation": {"profile": "constant", "volts": 12.0, "amps": watts / 12.0, "noise": 0.0}}
    for (appliance_id, watts), name, address in zip(
        LIVE_WATTS.items(), ("Lamp", "Pump", "Router"), (0x40, 0x41, 0x44), strict=True
    )
]  # fmt: skip
# Readings in flight at the first scrape, and a sampler catching up after the import took
# the CPU, may add a little energy of earlier moments; a year of history would add megajoules.
SLACK_SECONDS = 1.0
RATE_MARGIN = 1.05  # INA219 rounding of a 12 V, 1 A load is far below 5 %
FLUSH_WINDOW_SECONDS = 3.0  # what the service may still buffer: 0.5 s flushes, with room

# The history: three hours a minute apart on two retained past days, an hour 12 days ago
# (past the CSV log's retention), at kilowatt loads that would stand out at once as live.
HISTORY_WATTS = {1: 1000.0, 2: 2000.0, 3: 500.0}
RETAINED_DAYS_AGO = (3, 2)
EXPIRED_DAYS_AGO = 12
ROWS_PER_RETAINED_DAY = 180
ROWS_EXPIRED = 60


def server_for(tmp: Path, appliances: list[dict[str, Any]], name: str) -> PipedServer:
    """A not yet started service on `tmp/data` with these appliances."""
    mapping = config_mapping(tmp / "data")
    mapping["appliances"] = appliances
    config = write_config(tmp / f"{name}.toml", mapping)
    return PipedServer(config, tmp / "data", free_port(), tmp / f"{name}.log")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PipedServer]:
    """The service recording the three constant loads."""
    process = server_for(tmp_path, APPLIANCES, "energymon")
    process.start()
    yield process
    process.stop()
    process.wait_output_closed()


@dataclass(frozen=True)
class History:
    """The seed CSV log written for the test, and what it holds."""

    path: Path
    days: dict[dt.date, int]  # rows per appliance on each day
    expired_day: dt.date

    def energy_wh(self, appliance_id: int, day: dt.date | None = None) -> float:
        """The energy import books: each row's watts over its minute (constant watts)."""
        rows = self.days[day] if day is not None else sum(self.days.values())
        return rows * HISTORY_WATTS[appliance_id] / 60


def write_history(path: Path, today: dt.date) -> History:
    """A seed CSV log (`timestamp,watts,appliance_id`, local time) of past days."""
    days = {today - dt.timedelta(days=ago): ROWS_PER_RETAINED_DAY for ago in RETAINED_DAYS_AGO}
    expired = today - dt.timedelta(days=EXPIRED_DAYS_AGO)
    lines = ["timestamp,watts,appliance_id"]
    for day, rows in sorted({**days, expired: ROWS_EXPIRED}.items()):
        start = dt.datetime.combine(day, dt.time(10, 0))
        for minute in range(rows):
            stamp = (start + dt.timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:%S")
            lines += [f"{stamp},{watts},{aid}" for aid, watts in HISTORY_WATTS.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return History(path, {**days, expired: ROWS_EXPIRED}, expired)


def live_joules(client: httpx.Client) -> dict[int, float]:
    """The live energy counter of each appliance."""
    return counter_by_appliance(metric_families(client), "energymon_energy_joules")


@dataclass(frozen=True)
class Scrape:
    """One /metrics answer and the monotonic times around it."""

    sent: float
    received: float
    live_j: dict[int, float]
    imported_j: dict[int, float]


def scrape(client: httpx.Client) -> Scrape:
    """Both energy counters, timed."""
    sent = time.monotonic()
    families = metric_families(client)
    imported = "energymon_imported_energy_joules"
    return Scrape(
        sent,
        time.monotonic(),
        counter_by_appliance(families, "energymon_energy_joules"),
        counter_by_appliance(families, imported) if imported in families else {},
    )


def assert_live_only(first: Scrape, previous: Scrape, scrape: Scrape) -> None:
    """Each live counter never fell, and grew since `first` at most by what its load drew."""
    longest = scrape.received - first.sent + SLACK_SECONDS
    for appliance_id, watts in LIVE_WATTS.items():
        live_j = scrape.live_j[appliance_id]
        assert live_j >= previous.live_j[appliance_id], (appliance_id, previous, scrape)
        grown = live_j - first.live_j[appliance_id]
        assert grown <= watts * RATE_MARGIN * longest, (appliance_id, grown, longest)


def run_import(config: Path, history: Path) -> str:
    """`energymon import` as a user runs it; its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENERGYMON_")}
    result = subprocess.run(
        [str(ENERGYMON), "import", "--config", str(config), str(history)],
        capture_output=True,
        text=True,
        env=env,
        timeout=IMPORT_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def database_live_wh(data_dir: Path) -> dict[int, float]:
    """Live energy as committed: the day rollups' total less what imports recorded."""
    conn = sqlite3.connect(f"file:{data_dir / DB_FILENAME}?mode=ro", uri=True)
    try:
        tables = SqliteTables(conn, BERLIN)
        imported = {aid: flow.in_wh for aid, flow in tables.imported_energy().items()}
        return {aid: f.in_wh - imported.get(aid, 0.0) for aid, f in tables.lifetime().items()}
    finally:
        conn.close()


def test_an_import_beside_the_service_books_history_to_its_days_not_to_live_counters(
    server: PipedServer, tmp_path: Path
) -> None:
    """During and after the import the live counter grows only at the loads' rate; the
    imported counter, the days' statistics, null volts and the CSV download show the history."""
    today = dt.datetime.now(BERLIN).date()
    history = write_history(tmp_path / "energy_monitor.log.old", today)
    with server.client() as client:
        wait_until(lambda: all(v > 0 for v in live_joules(client).values()), what="live energy")
        before = scrape(client)
        _ask_for_the_history_days(client, history, today)  # the service keeps these answers

        scrapes = [before]
        done = threading.Event()

        def keep_scraping() -> None:
            with server.client() as scraper:
                while not done.is_set():
                    scrapes.append(scrape(scraper))

        scraper = threading.Thread(target=keep_scraping)
        scraper.start()
        try:
            output = run_import(server.config_path, history.path)
        finally:
            done.set()
            scraper.join()
        after = scrape(client)

        assert len(scrapes) > 2, "no scrape happened while the import ran"
        for previous, later in zip(scrapes, [*scrapes[1:], after], strict=True):
            assert_live_only(before, previous, later)
        assert before.imported_j == {1: 0.0, 2: 0.0, 3: 0.0}
        committed_wh = database_live_wh(server.data_dir)
        after = scrape(client)
        for appliance_id, watts in LIVE_WATTS.items():
            expected_j = history.energy_wh(appliance_id) * JOULES_PER_WH
            assert after.imported_j[appliance_id] == pytest.approx(expected_j, rel=1e-9)
            # The counter is the committed live energy plus what the service still buffers.
            buffered_j = after.live_j[appliance_id] - committed_wh[appliance_id] * JOULES_PER_WH
            assert -1e-6 <= buffered_j <= watts * FLUSH_WINDOW_SECONDS
        assert f"{ROWS_EXPIRED * 3} rows older than the {RETENTION_DAYS} days" in output

        _assert_days_hold_the_history(client, history, today)
        _assert_history_has_no_volts_or_amps(client, history, today)
        _assert_csv_download_has_the_retained_days(client, history)


def _ask_for_the_history_days(client: httpx.Client, history: History, today: dt.date) -> None:
    """Ask, twice, what the checks after the import ask: a service that keeps settled answers
    between requests has them kept when `energymon import`, another process, changes them."""
    ranges = [(today - history.expired_day).days + 1, max(RETAINED_DAYS_AGO) + 1]
    for _ in range(2):
        for days in ranges:
            for appliance_id in LIVE_WATTS:
                params = {"days": days, "applianceId": appliance_id}
                assert client.get("/logs/historical-data", params=params).status_code == 200


def _assert_days_hold_the_history(client: httpx.Client, history: History, today: dt.date) -> None:
    days = (today - history.expired_day).days + 1
    for appliance_id in LIVE_WATTS:
        answer = client.get(
            "/logs/historical-data", params={"days": days, "applianceId": appliance_id}
        )
        assert answer.status_code == 200, answer.text
        stats = {dt.date.fromisoformat(d["date"]): d for d in answer.json()["daily_stats"]}
        for day, rows in history.days.items():
            assert stats[day]["total_readings"] == rows
            expected = history.energy_wh(appliance_id, day)
            assert stats[day]["energy_wh"] == pytest.approx(expected, abs=1e-4)


def _assert_history_has_no_volts_or_amps(
    client: httpx.Client, history: History, today: dt.date
) -> None:
    days = max(RETAINED_DAYS_AGO) + 1
    answer = client.get("/logs/historical-data", params={"days": days, "applianceId": 1})
    assert answer.status_code == 200, answer.text
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=BERLIN)
    points = answer.json()["data"]
    past = [p for p in points if dt.datetime.fromisoformat(p["timestamp_utc"]) < midnight]
    live = [p for p in points if dt.datetime.fromisoformat(p["timestamp_utc"]) >= midnight]
    assert len(past) == ROWS_PER_RETAINED_DAY * len(RETAINED_DAYS_AGO)
    assert {(p["volts"], p["amps"]) for p in past} == {(None, None)}
    assert live
    assert all(p["volts"] == pytest.approx(12.0, rel=0.01) for p in live)


def _assert_csv_download_has_the_retained_days(client: httpx.Client, history: History) -> None:
    answer = client.get("/logs/download/energy-monitor")
    assert answer.status_code == 200
    rows = [row for row in csv.reader(io.StringIO(answer.text)) if row[0] != "timestamp"]
    per_day: dict[str, int] = {}
    for stamp, _, _ in rows:
        per_day[stamp[:10]] = per_day.get(stamp[:10], 0) + 1
    for day, count in history.days.items():
        expected = count * len(HISTORY_WATTS) if day != history.expired_day else None
        assert per_day.get(day.isoformat()) == expected, day


def _start_line(output: str) -> Mapping[str, Any]:
    for line in output.splitlines():
        if "appliance not in the configuration" in line:
            record: Mapping[str, Any] = json.loads(line)
            return record
    pytest.fail(f"no line about the removed appliance in:\n{output}")


def test_an_appliance_removed_from_the_configuration_is_named_at_start_with_its_data(
    tmp_path: Path,
) -> None:
    """Restarted without an appliance, the service says which one, and its data stays."""
    simulation = {"profile": "constant", "volts": 12.0, "amps": 0.5, "noise": 0.0}
    heater = {"id": 4, "name": "Old Heater", "driver": "simulated", "address": 0x45}
    heater["simulation"] = simulation
    first = server_for(tmp_path, [*APPLIANCES, heater], "with-heater")
    first.start()
    with first.client() as client:

        def heater_readings() -> int:
            answer = client.get("/energy/history", params={"applianceId": 4, "limit": 50})
            return len(answer.json()["data"]) if answer.status_code == 200 else 0

        wait_until(lambda: heater_readings() >= 20, what="readings of appliance 4")
    assert first.stop() == 0
    first.wait_output_closed()

    second = server_for(tmp_path, APPLIANCES, "without-heater")
    second.start()
    try:
        wait_until(
            lambda: "appliance not in the configuration" in second.full_output(),
            what="the start-up line about appliance 4",
        )
        record = _start_line(second.full_output())
        assert record["level"] == "warning"
        assert (record["appliance_id"], record["name"]) == (4, "Old Heater")
        assert record["readings"] >= 20
        assert record["energy_kwh"] > 0
        with second.client() as client:
            assert client.get("/energy", params={"applianceId": 4}).status_code == 404
    finally:
        second.stop()
        second.wait_output_closed()
    assert "appliance not in the configuration" not in first.full_output()
