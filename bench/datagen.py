"""Years of data for the default three appliances, built once and cached under bench/.cache/.

Every day repeats one template day: 86,400 one-second readings per appliance from the
simulated profiles (their cycles, 40 and 30 minutes, divide a day, so only the noise repeats).

The newest days, from the second UTC midnight before the raw-retention edge up to `anchor`,
go through `SqliteStore.bulk_load`, the documented bulk path (a flush's writes in larger
transactions): raw rows inside retention, minute/hour/day rollups for all. The older days are
copies of the first bulk-loaded day's rollups shifted by whole days: in UTC a day's buckets move
by exactly DAY_MS, so each copy equals what the bulk path would write for that day. Minute
rollups go back as far as the store keeps them (its default, 90 days), hours and days all the
way: a year (most measures) or DECADE_DAYS (the history sweep, P12) builds in seconds.
`_check_shift` proves it on the real path's own rows (day two against day one, shifted).

The cache is keyed by a hash of the schema, the rollup code, the profiles and DATAGEN_VERSION,
and rebuilt when its anchor is more than a day old (the server prunes relative to "now").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import energymon
from bench.harness import DEFAULT_APPLIANCES
from energymon.domain import buckets, stats
from energymon.domain.buckets import DAY_MS, HOUR_MS
from energymon.domain.model import Reading
from energymon.drivers import profiles
from energymon.storage.sqlite import DB_FILENAME, SqliteStore
from energymon.storage.sqlite import migrations as sqlite_migrations
from energymon.storage.sqlite import raw as sqlite_raw
from energymon.storage.sqlite import rollups as sqlite_rollups
from energymon.storage.sqlite import schema as sqlite_schema
from energymon.storage.sqlite import tables as sqlite_tables

__all__ = ["DECADE_DAYS", "Dataset", "dataset", "install", "seed_csv", "template_day"]

DATAGEN_VERSION = 1
UTC = ZoneInfo("UTC")
SAMPLES_PER_READING = 20  # 20 Hz oversampling, one reading a second
MAX_AGE_MS = DAY_MS
DECADE_DAYS = 3660  # ten years: the longest range /logs/historical-data accepts


Template = dict[int, list[tuple[float, float, float]]]


@dataclass(frozen=True, slots=True)
class Dataset:
    """A cached database: `days` of data up to `anchor_ms`, raw rows for `retention_days`."""

    db_path: Path
    anchor_ms: int
    days: int
    retention_days: int
    readings_loaded: int


def template_day() -> Template:
    """(watts, volts, amps) for each second of a day, per appliance id, from its profile."""
    day0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC: any midnight, the cycles divide a day
    template = {}
    for appliance_id, name, profile_name, _ in DEFAULT_APPLIANCES:
        profile = profiles.make_profile({"profile": profile_name}, default_for=name)
        seconds = []
        for second in range(86_400):
            volts, amps = profile(day0 + second + 0.5)
            seconds.append((volts * amps, volts, amps))
        template[appliance_id] = seconds
    return template


def _readings(template: Template, start_ms: int, end_ms: int) -> Iterator[Reading]:
    for ts_ms in range(start_ms, end_ms, 1000):
        second = (ts_ms % DAY_MS) // 1000
        for appliance_id, seconds in template.items():
            watts, volts, amps = seconds[second]
            yield Reading(
                appliance_id, ts_ms, watts, volts, amps, watts / 3600, 1.0, SAMPLES_PER_READING
            )


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _copy_days_back(conn: sqlite3.Connection, day_ms: int, days: int, minute_from_ms: int) -> None:
    """Copy the rollups of the day starting at `day_ms` onto the `days` days before it."""
    for table in sqlite_migrations.ROLLUP_TABLES:
        others = ", ".join(c for c in _columns(conn, table) if c != "bucket_ms")
        # Minutes older than their retention are not kept, as bulk_load would not write them.
        kept_from_ms = minute_from_ms if table == "rollup_minute" else -(2**62)
        conn.execute(
            f"""WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?)
                INSERT INTO {table} (bucket_ms, {others})
                SELECT bucket_ms - n * ?, {others} FROM {table}, k
                WHERE bucket_ms >= ? AND bucket_ms < ? AND bucket_ms - n * ? >= ?""",
            (days, DAY_MS, day_ms, day_ms + DAY_MS, DAY_MS, kept_from_ms),
        )
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    if "lifetime" in tables:  # schemas that keep counters apart from the day rollups
        conn.execute(
            """UPDATE lifetime SET energy_wh = energy_wh + ? * (SELECT energy_wh FROM rollup_day
               WHERE rollup_day.appliance_id = lifetime.appliance_id AND bucket_ms = ?)""",
            (days, day_ms),
        )


def _check_shift(conn: sqlite3.Connection, day_ms: int) -> float:
    """Largest relative difference between day two's rollups and day one's, shifted a day."""
    worst = 0.0
    for table in sqlite_migrations.ROLLUP_TABLES:
        cols = _columns(conn, table)
        sql = f"SELECT {', '.join(cols)} FROM {table} WHERE bucket_ms >= ? AND bucket_ms < ? "
        sql += "ORDER BY bucket_ms, appliance_id"
        first = conn.execute(sql, (day_ms, day_ms + DAY_MS)).fetchall()
        second = conn.execute(sql, (day_ms + DAY_MS, day_ms + 2 * DAY_MS)).fetchall()
        if not first or len(first) != len(second):
            raise RuntimeError(f"{table}: {len(first)} rows on day one, {len(second)} on day two")
        for a, b in zip(first, second, strict=True):
            if b[0] - a[0] != DAY_MS or _rel_diff(a[1:], b[1:]) > 1e-9:
                raise RuntimeError(f"{table}: day two differs from day one: {a} vs {b}")
            worst = max(worst, _rel_diff(a[1:], b[1:]))
    return worst


def _rel_diff(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return max(abs(x - y) / max(abs(x), abs(y), 1e-300) for x, y in zip(a, b, strict=True))


def build_dataset(path: Path, *, days: int, retention_days: int, anchor_ms: int) -> Dataset:
    """Write the database at `path` (see the module docstring)."""
    path.unlink(missing_ok=True)
    # From a midnight a day before the retention edge: days one and two are whole days.
    bulk_from_ms = buckets.floor_ms(anchor_ms - (retention_days + 1) * DAY_MS, DAY_MS)
    store = SqliteStore(path, zone=UTC, retention_days=retention_days)
    loaded = store.bulk_load(_readings(template_day(), bulk_from_ms, anchor_ms), now_ms=anchor_ms)
    store.close()
    old_days = days - (anchor_ms - bulk_from_ms) // DAY_MS - 1
    conn = sqlite_schema.connect(path)
    try:
        diff = _check_shift(conn, bulk_from_ms)
        row = conn.execute("SELECT value FROM meta WHERE key = 'minute_from_ms'").fetchone()
        minute_from_ms = int(row[0])
        conn.execute("BEGIN IMMEDIATE")
        _copy_days_back(conn, bulk_from_ms, old_days, minute_from_ms)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    print(
        f"datagen: {loaded:,} readings bulk-loaded, {old_days} older days copied "
        f"(day two vs day one shifted: max relative difference {diff:.1e})"
    )
    return Dataset(path, anchor_ms, days, retention_days, loaded)


def _cache_key(days: int, retention_days: int) -> str:
    text = f"{DATAGEN_VERSION}/{energymon.__version__}/{days}/{retention_days}"
    digest = hashlib.sha256(text.encode())
    hashed = (
        sqlite_migrations,
        sqlite_schema,
        sqlite_tables,
        sqlite_rollups,
        sqlite_raw,
        stats,
        buckets,
        profiles,
    )
    for module in hashed:
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:16]


def dataset(cache_dir: Path, *, days: int, retention_days: int) -> Dataset:
    """The cached dataset, built first when missing, stale or made by other code."""
    folder = cache_dir / f"year-{days}d-{_cache_key(days, retention_days)}"
    meta_path = folder / "dataset.json"
    now_ms = round(time.time() * 1000)
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if now_ms - meta["anchor_ms"] < MAX_AGE_MS:
            db_path = folder / DB_FILENAME
            return Dataset(db_path, meta["anchor_ms"], days, retention_days, meta["loaded"])
    building = folder.with_name(f"{folder.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    started = time.perf_counter()
    built = build_dataset(
        building / DB_FILENAME,
        days=days,
        retention_days=retention_days,
        anchor_ms=buckets.floor_ms(now_ms, HOUR_MS),
    )
    seconds = round(time.perf_counter() - started, 1)
    meta = {"anchor_ms": built.anchor_ms, "loaded": built.readings_loaded, "seconds": seconds}
    (building / "dataset.json").write_text(json.dumps(meta))
    for stale in cache_dir.glob(f"year-{days}d-*"):
        if ".building-" not in stale.name:  # older keys, or a stale copy of this one
            shutil.rmtree(stale, ignore_errors=True)
    try:
        building.rename(folder)  # whole or not at all, for a run starting meanwhile
    except OSError:  # another run finished the same dataset first: use theirs
        shutil.rmtree(building, ignore_errors=True)
    return Dataset(
        folder / DB_FILENAME, built.anchor_ms, days, retention_days, built.readings_loaded
    )


def install(data: Dataset, data_dir: Path) -> None:
    """Copy the dataset into `data_dir`, pruned to now as a starting server would prune it.

    Pruning first keeps the server's own first prune (up to a day of raw rows when the cache
    is old) out of what the benchmarks measure.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / DB_FILENAME
    shutil.copyfile(data.db_path, target)
    store = SqliteStore(target, zone=UTC, retention_days=data.retention_days)
    store.prune(round(time.time() * 1000))
    store.close()


def seed_csv(cache_dir: Path, *, seconds: int, step_seconds: int = 1) -> Path:
    """The seed's CSV log (`timestamp,watts,appliance_id`) of the template data, cached.

    One row per appliance every `step_seconds` (the mean of those seconds), `seconds` long,
    ending at the last UTC midnight: the rows the seed would have logged for the same readings.
    """
    path = cache_dir / f"seed-{DATAGEN_VERSION}-{seconds}-{step_seconds}" / "energy_monitor.log"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    template = template_day()
    end_s = buckets.floor_ms(round(time.time() * 1000), DAY_MS) // 1000
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    with partial.open("w", encoding="ascii") as out:
        out.write("timestamp,watts,appliance_id\n")
        day_text = ""
        for t in range(end_s - seconds, end_s, step_seconds):
            if t % 86_400 == 0 or not day_text:
                day_text = time.strftime("%Y-%m-%d", time.gmtime(t))
            stamp = f"{day_text} {time.strftime('%H:%M:%S', time.gmtime(t))}"
            second = t % 86_400
            for appliance_id, values in template.items():
                window = values[second : second + step_seconds]
                watts = sum(v[0] for v in window) / len(window)
                out.write(f"{stamp},{watts:.1f},{appliance_id}\n")
    partial.replace(path)
    return path
