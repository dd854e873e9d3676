"""Helpers of the reliability suite: budgets and figures, a server whose output is a pipe,
scrapes, the database."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import subprocess
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from prometheus_client.parser import text_string_to_metric_families

from energymon.domain.model import Reading
from energymon.storage.seedlog import LOG_FILENAME, ParsedCsv, logs_dir, parse_csv
from energymon.storage.sqlite import DB_FILENAME
from energymon.storage.sqlite.tables import SqliteTables
from tests.e2e.support import (
    APPLIANCES,
    ENERGYMON,
    ZONE,
    ServerProcess,
    config_mapping,
    free_port,
    write_config,
)

__all__ = [
    "APPLIANCE_IDS",
    "FAST",
    "SOAK",
    "Budget",
    "DiskState",
    "Figures",
    "PipedServer",
    "counter_by_appliance",
    "epoch_ms",
    "lifetime_wh",
    "make_piped_server",
    "metric_families",
    "read_csv_log",
    "read_database",
]

APPLIANCE_IDS: tuple[int, ...] = tuple(a["id"] for a in APPLIANCES)
JOULES_PER_WH = 3600.0


@dataclass(frozen=True)
class Budget:
    """How long and how hard one form of the reliability tests pushes."""

    name: str
    kills: int  # R1: SIGKILLs of a writing service
    load_seconds: float  # R4: how long the clients hammer the server
    load_clients: int  # R4: concurrent clients
    fault_rounds: int  # R2: random faults injected one after another
    fuzz_examples: int  # R3: schemathesis examples per operation, mode and key
    broker_outage_seconds: float  # MQTT: how long the broker stays away


# The fast form keeps `make test` within its five minutes on two cores; the soak form is the
# long proof (`make soak`).
FAST = Budget(
    "fast",
    kills=12,
    load_seconds=10,
    load_clients=50,
    fault_rounds=4,
    fuzz_examples=8,
    broker_outage_seconds=8,
)
SOAK = Budget(
    "soak",
    kills=200,
    load_seconds=60,
    load_clients=50,
    fault_rounds=60,
    fuzz_examples=100,
    broker_outage_seconds=30,
)


@dataclass
class Figures:
    """Totals and peaks the tests report, printed after the run."""

    totals: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, amount: float = 1) -> None:
        """Count `amount` more of `name`."""
        self.totals[name] = self.totals.get(name, 0) + amount

    def peak(self, name: str, value: float) -> None:
        """Keep the largest `value` seen for `name`."""
        self.peaks[name] = max(self.peaks.get(name, value), value)


class PipedServer(ServerProcess):
    """`energymon serve` whose stdout and stderr are a pipe, as under journald.

    A pipe, not a file: a test that limits the server's file sizes (a full disk) must still
    hear what the service says. A thread copies the output into `log_path`.
    """

    _reader: threading.Thread | None = None

    def launch(self) -> None:
        """Start the process without waiting for it to be ready."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENERGYMON_")}
        env.update(self.env)
        command = [str(ENERGYMON), "serve", "--config", str(self.config_path)]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self._reader = threading.Thread(target=self._copy_output, args=(self.process,))
        self._reader.start()

    def start(self) -> None:
        """Start the process and wait until every appliance has a reading."""
        self.launch()
        self._wait_ready()

    def _copy_output(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        with process.stdout, self.log_path.open("ab") as log:
            for line in process.stdout:
                log.write(line)
                log.flush()

    def wait_output_closed(self, timeout: float = 10.0) -> None:
        """Wait until everything the (exited) process wrote is in `log_path`."""
        if self._reader is not None:
            self._reader.join(timeout)
            assert not self._reader.is_alive(), "server output still open after exit"
            self._reader = None

    def full_output(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def make_piped_server(
    tmp: Path,
    *,
    env: Mapping[str, str] | None = None,
    sampling: Mapping[str, Any] | None = None,
    storage: Mapping[str, Any] | None = None,
    **server: Any,
) -> PipedServer:
    """A not yet started PipedServer with its own config and data directory under `tmp`."""
    data_dir = tmp / "data"
    mapping = config_mapping(data_dir, storage, **server)
    mapping["sampling"] = {**mapping["sampling"], **(sampling or {})}
    config = write_config(tmp / "energymon.toml", mapping)
    return PipedServer(config, data_dir, free_port(), tmp / "server.log", env=dict(env or {}))


def epoch_ms(iso_utc: str) -> int:
    """An API `timestamp_utc` as epoch milliseconds, the store's key."""
    return round(dt.datetime.fromisoformat(iso_utc).timestamp() * 1000)


def metric_families(client: httpx.Client) -> dict[str, Any]:
    """The server's /metrics, parsed, by family name."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def counter_by_appliance(families: Mapping[str, Any], name: str) -> dict[int, float]:
    """One per-appliance series of a scrape, by appliance id."""
    return {int(s.labels["appliance_id"]): s.value for s in families[name].samples}


def lifetime_wh(client: httpx.Client) -> dict[int, float]:
    """Lifetime energy per appliance as the service reports it (/metrics), in Wh."""
    joules = counter_by_appliance(metric_families(client), "energymon_energy_joules")
    return {appliance_id: value / JOULES_PER_WH for appliance_id, value in joules.items()}


@dataclass(frozen=True)
class DiskState:
    """What a stopped service left in its data directory."""

    integrity: list[str]
    readings: dict[tuple[int, int], Reading]  # by (appliance_id, timestamp_ms)
    lifetime_wh: dict[int, float]


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    # mode=ro: looking must not checkpoint or delete the WAL, so the restart recovers from
    # exactly what the killed process left.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def read_database(data_dir: Path, limit: int = 1_000_000) -> DiskState:
    """Integrity, raw readings and lifetime counters of the database, read with the store's
    own queries on a read-only connection."""
    with _read_only(data_dir / DB_FILENAME) as conn:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        tables = SqliteTables(conn, ZoneInfo(ZONE))
        readings = {
            (r.appliance_id, r.timestamp_ms): r
            for appliance_id in APPLIANCE_IDS
            for r in tables.latest(appliance_id, limit)
        }
        lifetime = {appliance_id: flow.in_wh for appliance_id, flow in tables.lifetime().items()}
        return DiskState(integrity, readings, lifetime)


def read_csv_log(data_dir: Path) -> tuple[bytes, ParsedCsv]:
    """The raw CSV log and what its parser makes of it."""
    data = (logs_dir(data_dir) / LOG_FILENAME).read_bytes()
    return data, parse_csv(data.splitlines(keepends=True))
