"""The wall clock steps under a running service, as NTP steps it on a Pi without an RTC.

The real `energymon serve` runs under libfaketime (Debian's `faketime`): its wall clock reads an
offset from a file we rewrite mid-run, its monotonic clock is left alone, exactly as on a Pi
whose clock NTP steps. The simulated loads are constant, so the energy each day must hold is
the load's power times the time actually recorded.
"""

from __future__ import annotations

import collections
import datetime as dt
import glob
import itertools
import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from energymon.storage.seedlog import LOG_FILENAME, logs_dir, parse_csv
from energymon.storage.sqlite import DB_FILENAME, SqliteStore
from tests.e2e.support import ZONE, config_mapping, free_port, wait_until, write_config
from tests.reliability.support import PipedServer, epoch_ms, metric_families
from tests.support.system import require

LIBFAKETIME_FOUND = next(iter(sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))), None)

# A quarter-second interval and a 2 s max gap: a sampler starved of CPU for a moment (the
# suite shares two cores) does not pass for a step, which must cause no gap at all.
INTERVAL_S = 0.25
MAX_GAP_S = 2.0
AMPS = {1: 1.0, 2: 2.0, 3: 0.5}  # constant loads at 12 V
VOLTS = 12.0
READINGS_PER_LEG = 16  # readings of each appliance recorded between two steps (4 s)
FORWARD_S, BACK_S, SMALL_BACK_S = 2 * 86400, -3600, -3  # the last one repeats stored stamps


@dataclass
class SteppedRun:
    """What a service whose wall clock stepped left behind, and what it said meanwhile."""

    events: list[dict[str, Any]]
    readings: list[tuple[int, int, float, float, float, int]]  # id, ts_ms, W, Wh, covered, n
    gaps: int
    output: str
    health: dict[str, Any]
    clock_steps_metric: float
    recorded_seconds: float
    data_dir: Path
    csv_problems: list[str] = field(default_factory=list)


def _server(tmp: Path, offset_file: Path) -> PipedServer:
    data_dir = tmp / "data"
    mapping = config_mapping(data_dir)
    mapping["sampling"] = {
        "interval_seconds": INTERVAL_S,
        "oversample_hz": 20.0,
        "max_gap_seconds": MAX_GAP_S,
    }
    mapping["appliances"] = [
        {
            "id": appliance_id,
            "name": f"constant {amps} A",
            "driver": "simulated",
            "address": 0x40 + appliance_id,
            "simulation": {"profile": "constant", "amps": amps, "volts": VOLTS},
        }
        for appliance_id, amps in AMPS.items()
    ]
    config = write_config(tmp / "energymon.toml", mapping)
    env = {
        "LD_PRELOAD": require(LIBFAKETIME_FOUND, "faketime"),
        "FAKETIME_TIMESTAMP_FILE": str(offset_file),
        # Re-read the offset once a second, not on every call: libfaketime parses it into
        # globals that other threads read meanwhile, and re-parsing thousands of times a second
        # let a thread see no offset at all now and then (the real time for an instant: a
        # spurious step there and back). A step lands within a second; the test waits for it.
        "FAKETIME_CACHE_DURATION": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # NTP steps the wall clock only
    }
    return PipedServer(config, data_dir, free_port(), tmp / "server.log", env=env)


def _set_offset(offset_file: Path, seconds: int) -> None:
    """Replace the offset file whole: libfaketime reading a half-written file would see a
    second step (to the real time and back) that the test did not make."""
    partial = offset_file.with_suffix(".new")
    partial.write_text(f"{seconds:+d}\n")
    partial.replace(offset_file)


def _collect_stream(server: PipedServer, events: list[dict[str, Any]]) -> threading.Thread:
    """Keep every reading the live stream sends until the server ends it."""
    opened = threading.Event()

    def run() -> None:
        timeout = httpx.Timeout(5.0, read=30.0)
        with (
            httpx.Client(base_url=server.base_url, timeout=timeout) as client,
            client.stream("GET", "/energy/stream") as response,
        ):
            opened.set()
            for line in response.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line.removeprefix("data: ")))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert opened.wait(5.0), "live stream did not open"
    return thread


def _steps(client: httpx.Client) -> int:
    steps: int = client.get("/health").json()["clock"]["steps"]
    return steps


def _stored(data_dir: Path) -> tuple[list[tuple[int, int, float, float, float, int]], int]:
    with sqlite3.connect(f"file:{data_dir / DB_FILENAME}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            """SELECT a.appliance_id, r.key >> 16, r.watts, r.energy_wh, r.covered_s, r.samples
               FROM readings AS r JOIN appliances AS a ON a.slot = r.key & 65535"""
        ).fetchall()
        gaps: int = conn.execute("SELECT count(*) FROM gaps").fetchone()[0]
    return rows, gaps


def record_with_steps(tmp: Path, steps: list[int]) -> SteppedRun:
    """Run the service, stepping its wall clock by each of `steps` seconds in turn with
    READINGS_PER_LEG readings recorded before, between and after them; then stop it."""
    offset_file = tmp / "faketime"
    _set_offset(offset_file, 0)
    server = _server(tmp, offset_file)
    events: list[dict[str, Any]] = []
    server.start()
    try:
        began = time.monotonic()
        stream = _collect_stream(server, events)
        with server.client() as client:
            offset = 0
            for leg, step in enumerate(steps):
                wanted = (leg + 1) * READINGS_PER_LEG
                wait_until(lambda n=wanted: _count(events, 1) >= n, 10.0, f"{wanted} readings")
                offset += step
                _set_offset(offset_file, offset)
                wait_until(lambda n=leg + 1: _steps(client) >= n, 10.0, f"step {leg + 1}")
            wanted = (len(steps) + 1) * READINGS_PER_LEG
            wait_until(lambda: _count(events, 1) >= wanted, 10.0, "readings after the steps")
            health = client.get("/health").json()
            steps_metric = metric_families(client)["energymon_clock_steps"].samples[0].value
        recorded_seconds = time.monotonic() - began
        assert server.stop() == 0
        server.wait_output_closed()
        stream.join(10.0)
        readings, gaps = _stored(server.data_dir)
        return SteppedRun(
            events=events,
            readings=readings,
            gaps=gaps,
            output=server.full_output(),
            health=health,
            clock_steps_metric=steps_metric,
            recorded_seconds=recorded_seconds,
            data_dir=server.data_dir,
            csv_problems=_csv_problems(server.data_dir),
        )
    finally:
        server.kill()


@pytest.fixture(scope="module")
def stepped(tmp_path_factory: pytest.TempPathFactory) -> SteppedRun:
    """Record, step the wall clock +2 days, -1 hour and -3 s, record after each, stop."""
    return record_with_steps(
        tmp_path_factory.mktemp("clock-steps"), [FORWARD_S, BACK_S, SMALL_BACK_S]
    )


def _count(events: list[dict[str, Any]], appliance_id: int) -> int:
    return sum(1 for e in events if e["applianceId"] == appliance_id)


def _csv_problems(data_dir: Path) -> list[str]:
    problems = []
    for path in sorted(logs_dir(data_dir).glob(LOG_FILENAME + "*")):
        rows, errors = parse_csv(path.read_bytes().splitlines(keepends=True))
        problems += [f"{path.name}:{e.line}: {e.message}" for e in errors]
        if not rows:
            problems.append(f"{path.name}: no rows")
    return problems


def logged_steps(output: str) -> list[float]:
    """The sizes of the steps the service logged, in order."""
    events = (json.loads(line) for line in output.splitlines() if "wall clock stepped" in line)
    return [float(event["step_seconds"]) for event in events]


def assert_each_step_logged_once(run: SteppedRun, steps: list[int]) -> None:
    """Every step made is logged once, in order, with its size; the metric counts the lines.

    libfaketime re-reads its offset file once a second and, rarely and under load, reads
    none: the process then sees the real time for an instant, a jump there and back that the
    service rightly logs as two steps. Such a pair cancels out and is allowed; nothing else is.
    """
    logged = logged_steps(run.output)
    assert run.clock_steps_metric == len(logged)
    made = iter(steps)
    wanted = next(made, None)
    extra: list[float] = []
    for size in logged:
        if wanted is not None and abs(size - wanted) < 0.5:
            wanted = next(made, None)
        else:
            extra.append(size)
    assert wanted is None, f"steps not logged: {logged} for {steps}"
    assert len(extra) % 2 == 0, f"unexplained steps {extra}"
    assert abs(sum(extra)) < 0.5, f"unexplained steps {extra}"


def test_each_step_is_logged_once_with_its_size(stepped: SteppedRun) -> None:
    """One warning per step, carrying the signed size of the step."""
    assert_each_step_logged_once(stepped, [FORWARD_S, BACK_S, SMALL_BACK_S])


def test_steps_show_in_health_and_metrics(stepped: SteppedRun) -> None:
    """/health counts the steps and shows the last one as a reason; /metrics counts them."""
    clock = stepped.health["clock"]
    assert 3 <= clock["steps"] <= stepped.clock_steps_metric  # the scrape came after
    assert clock["last_step_seconds"] == pytest.approx(SMALL_BACK_S, abs=0.5)
    assert stepped.health["status"] == "degraded"
    assert any("wall clock stepped" in reason for reason in stepped.health["reasons"])


def assert_energy_matches_the_loads(run: SteppedRun) -> None:
    """Per appliance, stored energy is the constant load's power times the time it covers
    (within 0.5 %), and the time covered is the time the test watched, not days or less."""
    for appliance_id, amps in AMPS.items():
        own = [r for r in run.readings if r[0] == appliance_id]
        energy_wh = sum(r[3] for r in own)
        covered_s = sum(r[4] for r in own)
        assert energy_wh == pytest.approx(VOLTS * amps * covered_s / 3600, rel=0.005)
        assert run.recorded_seconds - 1.0 < covered_s < run.recorded_seconds + 2.0


def assert_streamed_readings_stored(run: SteppedRun) -> None:
    """Each reading the live stream sent is in the database (repeats of a stamp included)."""
    interval_ms = round(INTERVAL_S * 1000)

    def key(appliance_id: int, ts_ms: int, watts: float) -> tuple[int, int, float]:
        return appliance_id, ts_ms // interval_ms, round(watts, 3)

    streamed = collections.Counter(
        key(e["applianceId"], epoch_ms(e["timestamp_utc"]), e["watts"]) for e in run.events
    )
    stored = collections.Counter(key(r[0], r[1], r[2]) for r in run.readings)
    assert streamed - stored == collections.Counter()


def test_no_energy_is_booked_for_a_step_and_none_is_lost(stepped: SteppedRun) -> None:
    """Stored energy is each constant load's power times the real time recorded (0.5 %)."""
    assert_energy_matches_the_loads(stepped)


def test_the_record_has_no_gap_but_the_steps(stepped: SteppedRun) -> None:
    """No gap is recorded; in time order the readings run in three unbroken stretches (before
    the steps, after -1 h, after +2 d), each with readings at most two intervals apart.

    A shorter hole is accepted only where the service itself reported missed sampling periods
    (a sampler starved of CPU on a busy test machine): never a silent one, never at a step."""
    assert stepped.gaps == 0
    limit_ms = 2 * INTERVAL_S * 1000
    missed = sum(s["missed_periods"] for s in stepped.health["samplers"])
    for appliance_id in AMPS:
        stamps = sorted(r[1] for r in stepped.readings if r[0] == appliance_id)
        holes = [b - a for a, b in itertools.pairwise(stamps) if b - a > limit_ms]
        jumps = [hole for hole in holes if hole > MAX_GAP_S * 1000]
        starved = [hole for hole in holes if hole <= MAX_GAP_S * 1000]
        assert not starved or missed > 0, f"holes {starved} with no missed period reported"
        assert sorted(jumps) == [
            pytest.approx(abs(BACK_S) * 1000, abs=30_000),
            pytest.approx((FORWARD_S + BACK_S) * 1000, abs=30_000),
        ]


def test_every_reading_streamed_is_stored_also_after_stepping_back(stepped: SteppedRun) -> None:
    """Each reading the live stream sent is in the database: readings whose stamps repeat
    stored ones (after -3 s) are kept beside them, not dropped or overwritten."""
    assert_streamed_readings_stored(stepped)
    # The last leg recorded 4 s of labels; stepping back 3 s repeats three of those seconds.
    repeats = [r for r in stepped.readings if r[1] % round(INTERVAL_S * 1000) != 0]
    assert len(repeats) >= len(AMPS) * (abs(SMALL_BACK_S) / INTERVAL_S - 3)


def test_daily_stats_hold_every_reading_and_all_the_energy(stepped: SteppedRun) -> None:
    """The days the steps touched hold every stored reading and its energy."""
    zone = ZoneInfo(ZONE)
    days = {dt.datetime.fromtimestamp(r[1] / 1000, zone).date() for r in stepped.readings}
    store = SqliteStore(stepped.data_dir / DB_FILENAME, zone=zone)
    try:
        for appliance_id in AMPS:
            stats = store.daily_stats(min(days), max(days), appliance_id)
            own = [r for r in stepped.readings if r[0] == appliance_id]
            assert sum(d.total_readings for d in stats) == len(own)
            assert sum(d.energy_wh for d in stats) == pytest.approx(sum(r[3] for r in own))
    finally:
        store.close()


def test_the_csv_log_stays_parseable(stepped: SteppedRun) -> None:
    """Every CSV log file parses without a bad row after the steps."""
    assert stepped.csv_problems == []


@pytest.mark.slow
def test_many_steps_back_and_forth_keep_the_record(tmp_path: Path) -> None:
    """Soak: the clock steps 24 times, back and forth, by seconds to days; no gap, no reading
    lost, one warning per step, energy right."""
    steps = [86400, -5, 3600, -3600, 7, -172800, 30, -3] * 3
    run = record_with_steps(tmp_path, steps)
    assert run.gaps == 0
    assert_each_step_logged_once(run, steps)
    assert_streamed_readings_stored(run)
    assert_energy_matches_the_loads(run)
    assert run.csv_problems == []
