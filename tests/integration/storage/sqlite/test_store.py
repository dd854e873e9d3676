"""SqliteStore beyond the contract: bulk loads, zone changes, schema versions, bytes written."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from energymon.domain.buckets import DAY_MS, HOUR_MS, MINUTE_MS, local_day_bounds
from energymon.domain.model import Gap, Reading
from energymon.storage.base import StorageError
from energymon.storage.memory import MemoryStore
from energymon.storage.sqlite import SqliteStore
from energymon.storage.sqlite.migrations import MIGRATIONS
from energymon.storage.sqlite.schema import connect, migrate

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
T0_MS = 1_711_756_800_000  # 2024-03-30 00:00 UTC, the day before Berlin springs forward


V1_ROLLUP_COLUMNS = """bucket_ms, appliance_id, count, sum_watts, min_watts, max_watts,
    energy_wh, covered_s, sum_volts, sum_amps, energy_in_wh"""


def readings(days: float, step_seconds: int, appliances: int = 2) -> list[Reading]:
    """Readings of `appliances` every `step_seconds` for `days`, with varying values."""
    count = int(days * 86_400 / step_seconds)
    return [
        Reading(
            a,
            T0_MS + i * step_seconds * 1000,
            watts=50.0 * a + (i % 17),
            volts=229.0 + (i % 3),
            amps=0.2 * a,
            energy_wh=(50.0 * a + (i % 17)) * step_seconds / 3600,
            covered_seconds=float(step_seconds),
        )
        for i in range(count)
        for a in range(1, appliances + 1)
    ]


def table(path: Path, name: str) -> list[tuple[float, ...]]:
    """Every row of a table, in key order."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall()
    finally:
        conn.close()


def assert_same_rows(left: list[tuple[float, ...]], right: list[tuple[float, ...]]) -> None:
    """Equal row for row; sums may differ in their last bits (added up in another order)."""
    assert len(left) == len(right)
    for row_left, row_right in zip(left, right, strict=True):
        assert all(map(_close, row_left, row_right)), (row_left, row_right)


def _close(left: float, right: float) -> bool:
    return left == right or math.isclose(left, right, rel_tol=1e-12)


@pytest.fixture
def flushed_and_bulk(tmp_path: Path) -> Iterator[tuple[SqliteStore, SqliteStore]]:
    """Two fresh stores: one to fill by 10 s flushes, one by bulk_load."""
    stores = (
        SqliteStore(tmp_path / "flushed.db", zone=BERLIN),
        SqliteStore(tmp_path / "bulk.db", zone=BERLIN),
    )
    yield stores
    for store in stores:
        store.close()


def test_bulk_load_makes_the_rollups_flushes_make(
    flushed_and_bulk: tuple[SqliteStore, SqliteStore],
) -> None:
    """Two local days through minute-long flushes or through bulk_load give the same tables."""
    flushed, bulk = flushed_and_bulk
    data = readings(days=1.2, step_seconds=10)
    for start in range(0, len(data), 12):  # a minute of two appliances every 10 s
        flushed.append(data[start : start + 12])
        flushed.flush()
    assert bulk.bulk_load(iter(data), batch_rows=7_000) == len(data)
    for name in ("readings", "rollup_minute", "rollup_hour", "rollup_day", "appliances"):
        assert_same_rows(table(flushed.path, name), table(bulk.path, name))


def test_bulk_load_with_now_writes_what_pruning_would_keep(
    flushed_and_bulk: tuple[SqliteStore, SqliteStore],
) -> None:
    """bulk_load(now_ms=...) equals loading everything and pruning at now_ms."""
    flushed, bulk = flushed_and_bulk
    data = readings(days=12, step_seconds=60)
    now_ms = T0_MS + 12 * DAY_MS
    flushed.append(data)
    flushed.flush()
    flushed.prune(now_ms)
    bulk.bulk_load(data, now_ms=now_ms)
    for name in ("readings", "rollup_minute", "rollup_hour", "rollup_day"):
        assert_same_rows(table(flushed.path, name), table(bulk.path, name))
    assert bulk.readings_between(T0_MS, T0_MS + DAY_MS, 1, 100) == flushed.readings_between(
        T0_MS, T0_MS + DAY_MS, 1, 100
    )


@pytest.mark.parametrize("max_points", [1, 7, 100, 5000])
def test_sqlite_downsamples_exactly_as_the_fake(tmp_path: Path, max_points: int) -> None:
    """Buckets merged by SQL equal those merged in Python, over every tier and range."""
    data = readings(days=9, step_seconds=300, appliances=2)
    now_ms = T0_MS + 9 * DAY_MS
    store = SqliteStore(tmp_path / "s.db", zone=BERLIN)
    fake = MemoryStore(zone=BERLIN)
    for target in (store, fake):
        target.append(data[: len(data) // 2])
        target.flush()
        target.prune(now_ms)  # the first days keep only minutes, hours and days
        target.append(data[len(data) // 2 :])
    for start_ms, end_ms in [
        (T0_MS, now_ms),
        (T0_MS + 333_333, T0_MS + DAY_MS + 7),
        (now_ms - 3 * DAY_MS - 1, now_ms - DAY_MS),
        (T0_MS + 5 * DAY_MS, T0_MS + 5 * DAY_MS + 3_600_000),
    ]:
        for appliance_id in (None, 2):
            mine = store.readings_between(start_ms, end_ms, appliance_id, max_points)
            theirs = fake.readings_between(start_ms, end_ms, appliance_id, max_points)
            assert [(r.appliance_id, r.timestamp_ms, r.samples) for r in mine] == [
                (r.appliance_id, r.timestamp_ms, r.samples) for r in theirs
            ]
            for left, right in zip(mine, theirs, strict=True):
                assert left.energy_wh == pytest.approx(right.energy_wh, rel=1e-12)
                assert left.watts == pytest.approx(right.watts, rel=1e-12)
    store.close()


def test_the_store_reopens_with_everything_flushed(tmp_path: Path) -> None:
    """Closing and opening again gives the same answers."""
    store = SqliteStore(tmp_path / "e.db", zone=BERLIN)
    store.append(readings(days=0.1, step_seconds=1))
    store.close()
    again = SqliteStore(tmp_path / "e.db", zone=BERLIN)
    assert len(again.readings_between(T0_MS, T0_MS + DAY_MS, None, 100_000)) == 2 * 8640
    assert again.daily_stats(dt.date(2024, 3, 30), dt.date(2024, 3, 30), 1)[0].total_readings
    again.close()


def test_a_new_zone_rebuilds_the_day_rollups(tmp_path: Path) -> None:
    """Opened with another zone, daily stats follow that zone's midnights (minutes kept)."""
    data = readings(days=3, step_seconds=60)
    store = SqliteStore(tmp_path / "z.db", zone=BERLIN)
    store.append(data)
    store.close()
    rezoned = SqliteStore(tmp_path / "z.db", zone=KOLKATA)
    fake = MemoryStore(zone=KOLKATA)
    fake.append(data)
    first, last = dt.date(2024, 3, 29), dt.date(2024, 4, 2)
    expected = fake.daily_stats(first, last, None)
    got = rezoned.daily_stats(first, last, None)
    assert [s.date for s in got] == [s.date for s in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert (mine.total_readings, mine.max_watts) == (theirs.total_readings, theirs.max_watts)
        assert mine.energy_wh == pytest.approx(theirs.energy_wh)
    rezoned.close()


def test_a_database_from_a_newer_energymon_is_refused(tmp_path: Path) -> None:
    """A schema version beyond ours stops the store with a clear StorageError."""
    path = tmp_path / "new.db"
    SqliteStore(path, zone=BERLIN).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer than this energymon"):
        SqliteStore(path, zone=BERLIN)


def test_migrations_run_from_the_recorded_version(tmp_path: Path) -> None:
    """migrate applies only the steps after PRAGMA user_version and records each."""
    path = tmp_path / "m.db"
    SqliteStore(path, zone=BERLIN).close()
    conn = connect(path)
    try:

        def add_notes(c: sqlite3.Connection) -> None:
            c.execute("CREATE TABLE notes (text TEXT)")

        migrate(conn, (*MIGRATIONS, add_notes))
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) + 1
        assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_schema_1_database_keeps_its_raw_readings_on_upgrade(tmp_path: Path) -> None:
    """Raw rows keyed by appliance (schema 1) are all found again after the migration."""
    data = readings(days=0.01, step_seconds=1, appliances=3)
    source = SqliteStore(tmp_path / "source.db", zone=BERLIN)  # the rollups schema 1 kept too
    source.append(data)
    source.close()
    conn = connect(tmp_path / "v1.db")
    try:
        migrate(conn, MIGRATIONS[:1])
        conn.execute("ATTACH ? AS source", (str(source.path),))
        for name in ("rollup_minute", "rollup_hour", "rollup_day"):
            conn.execute(f"INSERT INTO {name} SELECT {V1_ROLLUP_COLUMNS} FROM source.{name}")
        conn.execute("INSERT INTO appliances VALUES (3), (1), (2)")
        conn.executemany(
            "INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [dataclasses.astuple(r)[:8] for r in data],
        )
        conn.commit()
    finally:
        conn.close()
    store = SqliteStore(tmp_path / "v1.db", zone=BERLIN)
    assert store.readings_between(T0_MS, T0_MS + DAY_MS, None, 10_000) == data
    assert store.latest(2, 3) == [r for r in data if r.appliance_id == 2][-3:]
    store.close()


def test_an_old_reading_in_a_bucket_with_data_is_skipped_on_import(store: SqliteStore) -> None:
    """Past raw retention, an import never adds to a minute that already holds readings."""
    store.append([Reading(1, T0_MS, 10.0, 230.0, 0.1, 1.0, 1.0)])
    store.flush()
    store.prune(T0_MS + 10 * DAY_MS)
    history = [Reading(1, T0_MS + s * 1000, 20.0, 230.0, 0.1, 1.0, 1.0) for s in (1, 61)]
    assert store.import_readings(history, []) == 1
    day = dt.date(2024, 3, 30)
    assert store.daily_stats(day, day, 1)[0].total_readings == 2
    assert [r.timestamp_ms for r in store.readings_between(T0_MS, T0_MS + 2 * MINUTE_MS, 1, 5)] == [
        T0_MS,
        T0_MS + MINUTE_MS,
    ]


def _bytes_written() -> int:
    with Path("/proc/self/io").open() as io:
        for line in io:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    raise LookupError("wchar")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io")
def test_a_stored_reading_costs_under_a_kilobyte_of_writes(store: SqliteStore) -> None:
    """Three appliances at 1 Hz flushed every 10 s write under 1 kB per reading, WAL included."""
    store.bulk_load(readings(days=0.25, step_seconds=1, appliances=3))  # tables some levels deep
    start_ms = T0_MS + DAY_MS
    before = _bytes_written()
    stored = 0
    for flush in range(360):  # one hour
        store.append(
            Reading(a, start_ms + (flush * 10 + s) * 1000, 100.0 + s, 230.0, 0.4, 0.03, 1.0)
            for s in range(10)
            for a in (1, 2, 3)
        )
        stored += store.flush().readings
    per_reading = (_bytes_written() - before) / stored
    assert per_reading < 1024


def test_a_day_has_the_readings_of_its_local_midnights(store: SqliteStore) -> None:
    """The day rollup of the 23-hour DST day holds 23 hours of minute readings."""
    store.bulk_load(readings(days=3, step_seconds=60, appliances=1))
    day = dt.date(2024, 3, 31)
    start_ms, end_ms = local_day_bounds(day, BERLIN)
    assert store.daily_stats(day, day, 1)[0].total_readings == (end_ms - start_ms) // MINUTE_MS


def _as_schema_2(source: SqliteStore, path: Path) -> None:
    """Copy a store's rows into a new schema-2 database, volts and amps 0 where missing (what
    imports stored before schema 3)."""
    conn = connect(path)
    try:
        migrate(conn, MIGRATIONS[:2])
        conn.execute("ATTACH ? AS source", (str(source.path),))
        conn.execute("INSERT INTO appliances SELECT appliance_id, slot FROM source.appliances")
        conn.execute(
            """INSERT INTO readings (key, watts, volts, amps, energy_wh, covered_s, samples)
               SELECT key, watts, coalesce(volts, 0), coalesce(amps, 0), energy_wh, covered_s,
               samples FROM source.readings"""
        )
        for name in ("rollup_minute", "rollup_hour", "rollup_day"):
            conn.execute(f"INSERT INTO {name} SELECT {V1_ROLLUP_COLUMNS} FROM source.{name}")
        conn.execute("INSERT INTO gaps SELECT * FROM source.gaps")
        conn.commit()
    finally:
        conn.close()


def test_a_schema_2_database_keeps_every_row_on_upgrade_and_loses_its_zero_volts(
    tmp_path: Path,
) -> None:
    """Schema 3 keeps every raw row and rollup; imported rows' 0 V and 0 A become None."""
    live = readings(days=0.01, step_seconds=1, appliances=2)
    idle = Reading(1, T0_MS - 1000, 0.0, 0.0, 0.0, 0.0, 1.0)  # a real 0 W, 0 V, 0 A: kept
    history = [
        Reading(3, T0_MS + i * MINUTE_MS, 40.0 + i, None, None, (40.0 + i) / 60, 60.0)
        for i in range(30)
    ]
    source = SqliteStore(tmp_path / "source.db", zone=BERLIN)
    source.append([*live, idle])
    source.record_gap(Gap(1, T0_MS - DAY_MS, T0_MS - 1000))
    source.close()
    source = SqliteStore(tmp_path / "source.db", zone=BERLIN)
    source.import_readings(history, [])
    _as_schema_2(source, tmp_path / "v2.db")
    assert table(tmp_path / "v2.db", "readings")[-1][2:4] == (0.0, 0.0)

    upgraded = SqliteStore(tmp_path / "v2.db", zone=BERLIN)
    span = (T0_MS - DAY_MS, T0_MS + DAY_MS)
    everything = upgraded.readings_between(*span, None, 100_000)
    assert len(everything) == len(live) + 1 + len(history)
    assert everything == source.readings_between(*span, None, 100_000)
    assert [(r.volts, r.amps) for r in everything if r.appliance_id == 3] == [(None, None)] * 30
    assert upgraded.latest(1, 100_000)[0] == idle
    days = (dt.date(2024, 3, 29), dt.date(2024, 3, 31))
    assert upgraded.daily_stats(*days, None) == source.daily_stats(*days, None)
    assert upgraded.gaps_between(*span, None) == [Gap(1, T0_MS - DAY_MS, T0_MS - 1000)]
    assert upgraded.lifetime_energy_wh() == source.lifetime_energy_wh()
    for name in ("rollup_minute", "rollup_hour", "rollup_day"):
        rows = table(tmp_path / "v2.db", name)
        assert len(rows) == len(table(source.path, name))
        # measured_count: none of the imported appliance's readings, all of the others'
        assert [row[11] for row in rows] == [0 if row[1] == 3 else row[2] for row in rows]
    [hour] = upgraded.readings_between(T0_MS, T0_MS + HOUR_MS, 3, 1)
    assert (hour.samples, hour.volts, hour.amps) == (30, None, None)
    upgraded.close()
    source.close()


def test_a_schema_3_database_gets_energy_in_and_out_of_every_stored_day_on_upgrade(
    tmp_path: Path,
) -> None:
    """Schema 4 splits stored energy into in and out, from rollups that held only the positive
    part: every past day's in/out equals the sums of its readings' positive and negative energy,
    pruned raw rows or not, and live lifetime counters of both directions come out right."""
    battery = [  # one reading a second for 2 days, charging for 20 minutes, discharging for 10
        Reading(1, T0_MS + i * 1000, w, 12.8, w / 12.8, w / 3600, 1.0)
        for i in range(2 * 86_400)
        for w in [40.0 if i % 1800 < 1200 else -25.0]
    ]
    source = SqliteStore(tmp_path / "source.db", zone=BERLIN)
    source.append(battery)
    source.close()
    conn = connect(tmp_path / "v3.db")
    try:
        migrate(conn, MIGRATIONS[:3])
        conn.execute("ATTACH ? AS source", (str(source.path),))
        conn.execute("INSERT INTO appliances SELECT * FROM source.appliances")
        conn.execute(
            """INSERT INTO readings (key, watts, volts, amps, energy_wh, covered_s, samples)
               SELECT key, watts, volts, amps, energy_wh, covered_s, samples FROM source.readings"""
        )
        for name in ("rollup_minute", "rollup_hour", "rollup_day"):
            columns = V1_ROLLUP_COLUMNS + ", measured_count"
            conn.execute(f"INSERT INTO {name} SELECT {columns} FROM source.{name}")
        conn.commit()
    finally:
        conn.close()

    upgraded = SqliteStore(tmp_path / "v3.db", zone=BERLIN)
    first, last = dt.date(2024, 3, 30), dt.date(2024, 4, 1)
    days = upgraded.daily_stats(first, last, 1)
    recorded = SqliteStore(source.path, zone=BERLIN).daily_stats(first, last, 1)
    assert [dataclasses.replace(d, energy_out_wh=0.0) for d in days] == [
        dataclasses.replace(d, energy_out_wh=0.0) for d in recorded
    ]
    assert [d.energy_out_wh for d in days] == pytest.approx([d.energy_out_wh for d in recorded])
    for day in days:
        start_ms, end_ms = local_day_bounds(day.date, BERLIN)
        mine = [r for r in battery if start_ms <= r.timestamp_ms < end_ms]
        assert day.energy_in_wh == pytest.approx(sum(r.energy_wh for r in mine if r.watts > 0))
        assert day.energy_out_wh == pytest.approx(-sum(r.energy_wh for r in mine if r.watts < 0))
        assert day.energy_in_wh - day.energy_out_wh == pytest.approx(day.energy_wh)
    lifetime = upgraded.lifetime_energy()
    # 96 cycles of 20 min at 40 W in and 10 min at 25 W out: 1,280 Wh in, 400 Wh out
    assert lifetime.live_wh[1] == pytest.approx(1280.0)
    assert lifetime.live_out_wh[1] == pytest.approx(400.0)
    assert upgraded.readings_between(T0_MS, T0_MS + 1000, 1, 10)[0].out_wh == 0.0
    assert upgraded.readings_between(T0_MS + 1_200_000, T0_MS + 1_201_000, 1, 10)[
        0
    ].out_wh == pytest.approx(25.0 / 3600)
    upgraded.close()
