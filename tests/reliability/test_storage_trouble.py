"""R5: a full disk while running: keep serving, say so once, hold readings, write them back.

The disk fills up for the real server process only: its file size limit (RLIMIT_FSIZE) is set
to one byte through prlimit(2), so every write that would grow a file fails, in SQLite's WAL,
the database, the CSV log and the access log alike, exactly as on a full SD card (SQLite sees
EFBIG where a full disk gives ENOSPC: "disk I/O error" instead of "database or disk is full",
the same failure path). Raising the limit again is the space coming back. This works as root
and as a normal user (a process may lower its child's soft limit and raise it back up to the
hard one), needs no mount and no fake: the real SqliteStore, writer and logs are exercised.
Python ignores SIGXFSZ, so the server sees failed writes, not a signal.

The server's output is a pipe (PipedServer), as under journald: a file would fill up too.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from energymon.storage.seedlog import CsvProblem, CsvRow
from tests.e2e.support import ZONE, wait_until
from tests.reliability.support import (
    APPLIANCE_IDS,
    Figures,
    PipedServer,
    epoch_ms,
    make_piped_server,
    metric_families,
    read_csv_log,
    read_database,
)

OUTAGE_MS = 2500  # holds at least one whole second: CSV rows are stamped to the second
BUFFER_BOUND = 1000  # storage.max_buffered_readings at its minimum


@contextmanager
def disk_full(server: PipedServer) -> Iterator[None]:
    """While inside, every write that would grow a file of the server fails."""
    assert server.process is not None
    pid = server.process.pid
    soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, hard))
    try:
        yield
    finally:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))


def _health(client: httpx.Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/health")
    report: dict[str, Any] = response.json()
    return response.status_code, report


def _storage(client: httpx.Client) -> dict[str, Any]:
    storage: dict[str, Any] = _health(client)[1]["storage"]
    return storage


def _newest_ms(client: httpx.Client, appliance_id: int) -> int:
    data = client.get("/energy/history", params={"applianceId": appliance_id, "limit": 1})
    return epoch_ms(data.json()["data"][-1]["timestamp_utc"])


def _seen(client: httpx.Client, limit: int) -> set[tuple[int, int]]:
    """(appliance_id, timestamp_ms) of the newest `limit` readings of each appliance."""
    keys = set()
    for appliance_id in APPLIANCE_IDS:
        response = client.get(
            "/energy/history", params={"applianceId": appliance_id, "limit": limit}
        )
        keys |= {
            (appliance_id, epoch_ms(item["timestamp_utc"])) for item in response.json()["data"]
        }
    return keys


def _log_events(output: str) -> list[dict[str, Any]]:
    """The service's JSON log lines (anything else it printed is kept as {"raw": line})."""
    events = []
    for line in output.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            events.append({"raw": line})
    return events


@dataclass(frozen=True)
class Outage:
    """What a server showed during and after one full-disk outage."""

    full_since_ms: int
    full_until_ms: int
    newest_served_ms: int  # the newest reading /energy/history served during the outage
    storage_during: dict[str, Any]
    health_during: tuple[int, dict[str, Any]]
    health_after: tuple[int, dict[str, Any]]
    failed_flushes_metric: float
    healthy_metric_during: float
    healthy_metric_after: float
    storage_after: dict[str, Any]
    served: set[tuple[int, int]]  # readings served during the outage
    on_disk_after: set[tuple[int, int]]  # in the database once space returned (still running)
    csv_rows_after: list[CsvRow]
    csv_errors_after: list[CsvProblem]
    log_during: list[dict[str, Any]]  # what the service logged from the outage to its exit


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Outage:
    """A real server whose disk is full for two and a half seconds, then has space again."""
    server = make_piped_server(
        tmp_path_factory.mktemp("disk-full"),
        storage={"flush_interval_seconds": 0.2, "csv_interval_seconds": 1.0},
    )
    server.start()
    with server.client() as client:
        wait_until(lambda: _storage(client)["last_flush"] is not None, what="a first flush")
        logged_before = len(server.full_output().splitlines())
        full_since_ms = round(time.time() * 1000)
        with disk_full(server):
            wait_until(lambda: _storage(client)["last_error"] is not None, what="the error")
            while time.time() * 1000 < full_since_ms + OUTAGE_MS:  # requests, each access-logged
                time.sleep(0.1)
                newest_served_ms = _newest_ms(client, 1)
            storage_during = _storage(client)
            health_during = _health(client)
            healthy_during = _healthy_metric(client)
            failed_flushes = metric_families(client)["energymon_storage_failed_flushes"]
            served = {key for key in _seen(client, 1000) if key[1] >= full_since_ms}
            full_until_ms = round(time.time() * 1000)
        wait_until(lambda: _storage(client)["last_error"] is None, what="storage healthy again")
        wait_until(lambda: _storage(client)["pending_readings"] < 10, what="the backlog written")
        storage_after = _storage(client)
        health_after = _health(client)
        healthy_after = _healthy_metric(client)
        on_disk = set(read_database(server.data_dir).readings)  # running: written, not flushed
        _, csv = read_csv_log(server.data_dir)
    assert server.stop() == 0
    server.wait_output_closed()
    return Outage(
        full_since_ms=full_since_ms,
        full_until_ms=full_until_ms,
        newest_served_ms=newest_served_ms,
        storage_during=storage_during,
        health_during=health_during,
        health_after=health_after,
        failed_flushes_metric=failed_flushes.samples[0].value,
        healthy_metric_during=healthy_during,
        healthy_metric_after=healthy_after,
        storage_after=storage_after,
        served=served,
        on_disk_after=on_disk,
        csv_rows_after=csv.rows,
        csv_errors_after=csv.errors,
        log_during=_log_events("\n".join(server.full_output().splitlines()[logged_before:])),
    )


def _healthy_metric(client: httpx.Client) -> float:
    value: float = metric_families(client)["energymon_storage_healthy"].samples[0].value
    return value


def test_during_a_full_disk_the_latest_readings_are_still_served(outage: Outage) -> None:
    """/energy/history kept serving readings taken after the disk filled up."""
    assert outage.newest_served_ms > outage.full_since_ms
    assert {appliance_id for appliance_id, _ in outage.served} == set(APPLIANCE_IDS)


def test_a_full_disk_shows_in_health_and_metrics_until_space_returns(outage: Outage) -> None:
    """/health names the storage error and the readings held in memory; /metrics says the store
    is unhealthy; both clear once the disk has space again."""
    during, after = outage.storage_during, outage.storage_after
    assert "disk" in during["last_error"]
    assert during["pending_readings"] > 0
    assert outage.healthy_metric_during == 0.0
    assert after["last_error"] is None
    assert after["dropped_readings"] == 0
    assert outage.healthy_metric_after == 1.0


def test_a_full_disk_makes_health_503_with_the_reason_and_counts_failed_flushes(
    outage: Outage,
) -> None:
    """While nothing can be written the service is `unhealthy` (503) and says why; the failed
    flushes are counted; once space returns it is 200 again by itself."""
    code, report = outage.health_during
    assert code == 503
    assert report["status"] == "unhealthy"
    assert any(reason.startswith("storage cannot write") for reason in report["reasons"])
    assert report["storage"]["failed_flushes"] >= 1
    assert outage.failed_flushes_metric >= 1
    code, report = outage.health_after
    assert code == 200
    assert report["status"] == "ok", report["reasons"]


def test_readings_served_during_a_full_disk_are_written_once_space_returns(
    outage: Outage, figures: Figures
) -> None:
    """Every reading served during the outage is in the database afterwards, and the CSV log
    has the outage's rows without a broken line."""
    assert outage.served - outage.on_disk_after == set()
    assert outage.csv_errors_after == []
    zone = ZoneInfo(ZONE)
    rows_during = {
        row.appliance_id
        for row in outage.csv_rows_after
        if outage.full_since_ms
        <= row.local_time.replace(tzinfo=zone).timestamp() * 1000
        <= outage.full_until_ms - 1000  # the row's whole second lies in the outage
    }
    assert rows_during == set(APPLIANCE_IDS), "CSV rows of the outage are missing"
    figures.add("R5 disk-full outages survived")
    figures.add("R5 readings written back after an outage", len(outage.served))


def test_a_full_disk_is_logged_once_without_a_traceback(outage: Outage) -> None:
    """The service says once that storage fails (and once when it works again), in its JSON
    log: no error repeated every flush, no traceback per request."""
    stray = [event["raw"] for event in outage.log_during if "raw" in event]
    assert stray[:12] == [], f"{len(stray)} lines outside the JSON log"
    errors = [(e["logger"], e["event"]) for e in outage.log_during if e.get("level") == "error"]
    assert ("energymon.writer", "storage write failed; readings kept in memory") in errors
    repeated = sorted({error for error in errors if errors.count(error) > 1})
    assert repeated == [], f"repeated during a {len(errors)}-error outage: {repeated}"
    assert any(e.get("event") == "storage writable again" for e in outage.log_during)


def test_readings_beyond_the_memory_bound_drop_the_oldest_and_the_rest_are_written(
    tmp_path: Path, figures: Figures
) -> None:
    """A disk full for long: memory holds at most max_buffered_readings (the oldest go, and
    are counted), and the newest are all written once space returns."""
    server = make_piped_server(
        tmp_path,
        sampling={"interval_seconds": 0.01, "oversample_hz": 100.0},
        storage={"flush_interval_seconds": 0.2, "max_buffered_readings": BUFFER_BOUND},
    )
    server.start()
    with server.client() as client:
        with disk_full(server):

            def overflowed() -> bool:
                storage = _storage(client)
                assert storage["pending_readings"] <= BUFFER_BOUND
                return bool(storage["dropped_readings"] > 0)

            wait_until(overflowed, timeout=20.0, what="the buffer to reach its bound")
            newest = _seen(client, 100)
        wait_until(lambda: _storage(client)["pending_readings"] < BUFFER_BOUND / 2, what="drain")
        storage = _storage(client)
        assert storage["last_error"] is None
        families = metric_families(client)
        dropped = families["energymon_storage_dropped_readings"].samples[0].value
        assert dropped == storage["dropped_readings"] > 0
        assert newest - set(read_database(server.data_dir).readings) == set()
    assert server.stop() == 0
    figures.add("R5 readings dropped beyond the memory bound", dropped)
