"""The ReadingStore contract, held by SqliteStore and by its fake, MemoryStore, alike.

Every method of the protocol is called here (a test below holds that).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from energymon.domain.buckets import DAY_MS, HOUR_MS, MINUTE_MS, local_day_bounds
from energymon.domain.model import Gap, Reading
from energymon.storage.base import ReadingStore, StorageError
from energymon.storage.history import Settled
from energymon.storage.memory import MemoryStore
from energymon.storage.sqlite import SqliteStore

ZONE = ZoneInfo("Europe/Berlin")
DAY = dt.date(2024, 3, 31)  # spring forward in Berlin: 23 hours
DAY_START_MS, DAY_END_MS = local_day_bounds(DAY, ZONE)
NOW_S = 1_800_000_000.0


def reading(appliance_id: int, ts_ms: int, watts: float = 100.0, energy_wh: float = 0.5) -> Reading:
    """A one-second reading."""
    return Reading(appliance_id, ts_ms, watts, 230.0, watts / 230.0, energy_wh, 1.0)


def seconds(appliance_id: int, start_ms: int, count: int, watts: float = 100.0) -> list[Reading]:
    """`count` readings one second apart."""
    return [reading(appliance_id, start_ms + i * 1000, watts) for i in range(count)]


@dataclass
class Harness:
    """A store under test, the means to make its writes fail and work again, and to read a
    backup (how many raw readings the copy holds)."""

    store: SqliteStore | MemoryStore
    break_writes: Callable[[], None]
    heal_writes: Callable[[], None]
    backup_readings: Callable[[Path], int]


def _sqlite(tmp_path: Path, max_buffered: int) -> Harness:
    path = tmp_path / "energymon.db"
    store = SqliteStore(path, zone=ZONE, max_buffered_readings=max_buffered, clock=lambda: NOW_S)

    def run(sql: str) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(sql)

    def backup_readings(copy: Path) -> int:
        with contextlib.closing(sqlite3.connect(copy)) as conn:
            count: int = conn.execute("SELECT count(*) FROM readings").fetchone()[0]
        return count

    # A trigger on the last table a flush writes: the flush fails after writing everything else.
    return Harness(
        store,
        lambda: run(
            "CREATE TRIGGER fail BEFORE INSERT ON rollup_day "
            "BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END"
        ),
        lambda: run("DROP TRIGGER fail"),
        backup_readings,
    )


def _memory(tmp_path: Path, max_buffered: int) -> Harness:
    store = MemoryStore(zone=ZONE, max_buffered_readings=max_buffered, clock=lambda: NOW_S)
    return Harness(
        store,
        lambda: store.fail_writes("disk full"),
        lambda: store.fail_writes(None),
        lambda copy: len(json.loads(copy.read_text(encoding="utf-8"))["readings"]),
    )


@pytest.fixture(params=[_sqlite, _memory], ids=["sqlite", "memory"])
def make_harness(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., Harness]]:
    """Builds the store under test (once per test)."""
    built: list[Harness] = []

    def make(max_buffered: int = 500_000) -> Harness:
        harness: Harness = request.param(tmp_path, max_buffered)
        built.append(harness)
        return harness

    yield make
    for harness in built:
        harness.store.close()


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    """The store under test with default settings."""
    return make_harness()


@pytest.fixture
def store(harness: Harness) -> ReadingStore:
    """Just the store."""
    return harness.store


def test_stores_satisfy_the_protocol(store: ReadingStore) -> None:
    """Both stores are ReadingStores (checked by mypy through this annotation too)."""
    assert callable(store.flush)


def test_every_method_of_the_protocol_is_called_by_these_tests() -> None:
    """A method added to ReadingStore needs a contract test here before this passes."""
    methods = [name for name in vars(ReadingStore) if not name.startswith("_")]
    source = Path(__file__).read_text(encoding="utf-8")
    assert len(methods) >= 16
    assert [name for name in methods if f"store.{name}(" not in source] == []


def test_buffered_readings_are_answered_before_any_flush(store: ReadingStore) -> None:
    """Queries see appended readings at once, without waiting for a flush."""
    store.append(seconds(1, DAY_START_MS, 5))
    assert [r.timestamp_ms for r in store.latest(1, 2)] == [
        DAY_START_MS + 3000,
        DAY_START_MS + 4000,
    ]
    assert len(store.readings_between(DAY_START_MS, DAY_END_MS, 1, 100)) == 5
    assert store.daily_stats(DAY, DAY, None)[0].total_readings == 5
    assert store.lifetime_energy_wh() == {1: pytest.approx(2.5)}


def test_history_in_parts_joins_to_the_whole_answer(store: ReadingStore) -> None:
    """A part past what an earlier part settled, joined to it, is the whole answer; an import
    into the settled past makes the store answer from the start again."""
    store.append(seconds(1, DAY_START_MS, 600) + seconds(2, DAY_START_MS, 300, watts=50.0))
    before_ms = DAY_START_MS + 400_000
    first = store.history_part((DAY, DAY), None, 300, settled_before_ms=before_ms, known=None)
    assert first.epoch is not None
    assert DAY_START_MS < first.settled_ms <= before_ms
    known = Settled(first.plan, first.settled_ms, first.epoch)
    store.append(seconds(1, DAY_START_MS + 600_000, 60))
    store.flush()
    second = store.history_part((DAY, DAY), None, 300, settled_before_ms=before_ms, known=known)
    kept = [r for r in first.readings if r.timestamp_ms < first.settled_ms]
    assert second.from_ms == first.settled_ms
    assert kept + second.readings == store.readings_between(DAY_START_MS, DAY_END_MS, None, 300)
    assert second.days == store.daily_stats(DAY, DAY, None)
    store.import_readings([reading(3, DAY_START_MS + 1000)], [])
    third = store.history_part((DAY, DAY), None, 300, settled_before_ms=before_ms, known=known)
    assert third.from_ms == DAY_START_MS
    assert third.readings == store.readings_between(DAY_START_MS, DAY_END_MS, None, 300)


def test_newest_readings_in_parts_join_to_the_latest(store: ReadingStore) -> None:
    """Readings from where an earlier part settled, after it, are the latest; pruning makes the
    store answer the last `limit` again."""
    store.append(seconds(1, DAY_START_MS, 600))
    before_ms = DAY_START_MS + 400_000
    first = store.latest_part(1, 500, settled_before_ms=before_ms, since=None)
    assert first.from_ms is None
    assert first.mark is not None
    assert first.readings == store.latest(1, 500)
    store.append(seconds(1, DAY_START_MS + 600_000, 60))
    store.flush()
    since = (first.settled_ms, first.mark)
    second = store.latest_part(1, 500, settled_before_ms=before_ms, since=since)
    kept = [r for r in first.readings if r.timestamp_ms < first.settled_ms]
    assert second.from_ms == first.settled_ms
    assert (kept + second.readings)[-500:] == store.latest(1, 500)
    store.prune(round(NOW_S * 1000))
    third = store.latest_part(1, 500, settled_before_ms=before_ms, since=since)
    assert third.from_ms is None
    assert third.readings == store.latest(1, 500)


def test_answers_are_the_same_before_and_after_a_flush(store: ReadingStore) -> None:
    """Flushing moves readings to disk without changing any answer."""
    store.append(seconds(1, DAY_START_MS, 90) + seconds(2, DAY_START_MS, 30, watts=50.0))

    def answers() -> tuple[object, ...]:
        return (
            store.latest(1, 10),
            store.readings_between(DAY_START_MS, DAY_END_MS, None, 1000),
            store.readings_between(DAY_START_MS, DAY_END_MS, 1, 3),
            store.daily_stats(DAY, DAY, None),
            store.daily_stats(DAY, DAY, 2),
            store.lifetime_energy_wh(),
        )

    before = answers()
    assert store.flush().readings == 120
    assert _close(answers(), before)


def test_the_change_mark_moves_with_every_change_to_answers_and_not_with_a_flush(
    store: ReadingStore,
) -> None:
    """Readings, a gap, an import, a forgotten appliance and pruning each move the change
    mark; a flush (answers unchanged, above) and a query leave it."""
    marks = [store.change_mark()]

    def moved() -> bool:
        marks.append(store.change_mark())
        return marks[-1] != marks[-2]

    store.append(seconds(1, DAY_START_MS, 10))
    assert moved()
    store.record_gap(Gap(1, DAY_START_MS + 20_000, DAY_START_MS + 30_000))
    assert moved()
    store.flush()
    store.latest(1, 5)
    assert not moved()
    store.import_readings([reading(2, DAY_START_MS - DAY_MS)], [])
    assert moved()
    store.forget_appliance(2)
    assert moved()
    store.prune(DAY_START_MS + 30 * DAY_MS)
    assert moved()


def _close(left: object, right: object) -> bool:
    """Deep equality with float tolerance (sums may add up in another order)."""
    if isinstance(left, float) and isinstance(right, float):
        return left == pytest.approx(right, rel=1e-9, abs=1e-12)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(map(_close, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_close(left[k], right[k]) for k in left)
    if hasattr(left, "__slots__") and type(left) is type(right):
        return all(_close(getattr(left, s), getattr(right, s)) for s in left.__slots__)
    return left == right


def test_a_reading_appended_twice_is_stored_and_counted_once(store: ReadingStore) -> None:
    """A key flushed before is skipped by later flushes: rollups never count it twice."""
    batch = seconds(1, DAY_START_MS, 10)
    store.append(batch)
    store.flush()
    store.append(batch + batch)
    assert store.flush().readings == 0
    assert store.daily_stats(DAY, DAY, 1)[0].total_readings == 10
    assert store.lifetime_energy_wh()[1] == pytest.approx(5.0)


def test_a_flush_of_known_repeated_and_new_readings_keeps_each_new_key_once(
    store: ReadingStore,
) -> None:
    """A batch mixing stored keys, repeats and new keys stores and counts only the new, once."""
    store.append(seconds(1, DAY_START_MS, 10))
    store.flush()
    store.append(seconds(1, DAY_START_MS + 5000, 10) * 2)  # 5 stored, 5 new; each twice
    assert store.flush().readings == 5
    assert store.daily_stats(DAY, DAY, 1)[0].total_readings == 15
    stored = store.readings_between(DAY_START_MS, DAY_END_MS, 1, 100)
    assert [r.timestamp_ms - DAY_START_MS for r in stored] == [i * 1000 for i in range(15)]


def test_live_readings_repeating_stored_stamps_are_all_kept(store: ReadingStore) -> None:
    """After the wall clock stepped back, new readings with stored stamps are kept beside them:
    nothing stored is overwritten, every reading counts in the day, in order of recording."""
    first = seconds(1, DAY_START_MS, 10, watts=100.0)
    store.append(first)
    store.flush()
    again = seconds(1, DAY_START_MS + 5000, 10, watts=200.0)  # stepped back 5 s
    store.append(again)
    assert store.flush().readings == 10
    stored = store.readings_between(DAY_START_MS, DAY_END_MS, 1, 100)
    assert len(stored) == 20
    assert [r.watts for r in stored if r.timestamp_ms % 1000 == 0] == [100.0] * 10 + [200.0] * 5
    repeats = [r for r in stored if r.timestamp_ms % 1000 != 0]
    assert [(r.timestamp_ms - DAY_START_MS, r.watts) for r in repeats] == [
        (i * 1000 + 1, 200.0) for i in range(5, 10)
    ]
    (day,) = store.daily_stats(DAY, DAY, 1)
    assert day.total_readings == 20
    assert day.energy_wh == pytest.approx(10.0)
    assert store.lifetime_energy_wh()[1] == pytest.approx(10.0)
    store.append(again)  # the same readings again (a retried flush): nothing new
    assert store.flush().readings == 0


def test_latest_takes_the_newest_of_stored_and_buffered(store: ReadingStore) -> None:
    """latest spans the flush boundary and returns oldest first."""
    store.append(seconds(1, DAY_START_MS, 10))
    store.flush()
    store.append(seconds(1, DAY_START_MS + 10_000, 2) + seconds(2, DAY_START_MS, 50))
    latest = store.latest(1, 4)
    assert [r.timestamp_ms - DAY_START_MS for r in latest] == [8000, 9000, 10_000, 11_000]
    assert store.latest(1, 0) == []
    assert store.latest(7, 5) == []


def test_few_readings_come_back_raw(store: ReadingStore) -> None:
    """A range holding no more than max_points readings per appliance answers them as stored."""
    readings = seconds(1, DAY_START_MS, 60) + seconds(2, DAY_START_MS, 60, watts=40.0)
    store.append(readings[:70])
    store.flush()
    store.append(readings[70:])
    got = store.readings_between(DAY_START_MS, DAY_START_MS + 60_000, None, 60)
    assert sorted(got, key=lambda r: (r.appliance_id, r.timestamp_ms)) == readings


def test_many_readings_are_merged_into_bucket_means_keeping_energy(store: ReadingStore) -> None:
    """An hour of seconds at 12 points per appliance: 5-minute means, all energy kept."""
    store.append(seconds(1, DAY_START_MS, 3600, watts=100.0))
    store.flush()
    store.append(seconds(2, DAY_START_MS, 3600, watts=10.0))
    got = store.readings_between(DAY_START_MS, DAY_START_MS + HOUR_MS, None, 12)
    for appliance_id, watts in ((1, 100.0), (2, 10.0)):
        mine = [r for r in got if r.appliance_id == appliance_id]
        assert [r.timestamp_ms - DAY_START_MS for r in mine] == [i * 300_000 for i in range(12)]
        assert all(r.watts == pytest.approx(watts) and r.samples == 300 for r in mine)
        assert sum(r.energy_wh for r in mine) == pytest.approx(1800.0)


def test_daily_stats_pool_appliances_over_a_23_hour_day(store: ReadingStore) -> None:
    """Readings at both edges of a DST day land in it; pooled stats follow the seed's keys."""
    store.append(
        [
            reading(1, DAY_START_MS - 1000, 999.0),  # the day before
            reading(1, DAY_START_MS, 100.0),
            reading(2, DAY_END_MS - 1000, 300.0),
            reading(2, DAY_END_MS, 999.0),  # the day after
        ]
    )
    store.flush()
    store.append([reading(1, DAY_START_MS + 23 * HOUR_MS - 1, 200.0)])
    [pooled] = store.daily_stats(DAY, DAY, None)
    assert (pooled.date, pooled.total_readings) == (DAY, 3)
    assert (pooled.avg_watts, pooled.min_watts, pooled.max_watts) == (200.0, 100.0, 300.0)
    assert pooled.energy_wh == pytest.approx(1.5)
    assert pooled.covered_seconds == pytest.approx(1.5)  # mean of appliance 1 (2 s) and 2 (1 s)
    assert [s.date for s in store.daily_stats(DAY - dt.timedelta(days=1), DAY, 1)] == [
        DAY - dt.timedelta(days=1),
        DAY,
    ]
    assert store.daily_stats(DAY, DAY - dt.timedelta(days=1), None) == []


def test_pruning_keeps_day_stats_and_answers_old_ranges_from_rollups(store: ReadingStore) -> None:
    """After raw readings expire, old ranges still answer from minute rollups, and days stay."""
    store.append(seconds(1, DAY_START_MS, 600))
    store.flush()
    stats_before = store.daily_stats(DAY, DAY, 1)
    deleted = store.prune(DAY_START_MS + 8 * DAY_MS)
    assert deleted == 600
    assert store.daily_stats(DAY, DAY, 1) == stats_before
    old = store.readings_between(DAY_START_MS, DAY_START_MS + 600_000, 1, 1000)
    assert [r.timestamp_ms - DAY_START_MS for r in old] == [i * MINUTE_MS for i in range(10)]
    assert sum(r.samples for r in old) == 600
    assert store.latest(1, 5) == []
    deleted_later = store.prune(DAY_START_MS + 100 * DAY_MS)
    assert deleted_later == 10  # the minute rollups
    assert store.daily_stats(DAY, DAY, 1) == stats_before
    hours = store.readings_between(DAY_START_MS, DAY_START_MS + HOUR_MS, 1, 1000)
    assert [(r.timestamp_ms, r.samples) for r in hours] == [(DAY_START_MS, 600)]


def test_lifetime_energy_only_grows_and_outlives_pruning(store: ReadingStore) -> None:
    """Negative energy (noise, reverse current) subtracts nothing; pruning takes nothing away."""
    store.append(
        [reading(1, DAY_START_MS, 100.0, 2.0), reading(1, DAY_START_MS + 1000, -5.0, -1.0)]
    )
    store.flush()
    assert store.lifetime_energy_wh() == {1: 2.0}
    store.prune(DAY_START_MS + 400 * DAY_MS)
    store.append([reading(1, DAY_START_MS + 400 * DAY_MS, 100.0, 0.25)])
    assert store.lifetime_energy_wh() == {1: 2.25}


def test_gaps_are_recorded_and_found_by_overlap(store: ReadingStore) -> None:
    """Gaps overlapping a range are returned, buffered or flushed, each once."""
    early = Gap(1, DAY_START_MS, DAY_START_MS + 60_000)
    late = Gap(2, DAY_START_MS + HOUR_MS, DAY_START_MS + 2 * HOUR_MS)
    store.record_gap(early)
    store.flush()
    store.record_gap(late)
    store.record_gap(early)
    assert store.gaps_between(DAY_START_MS + 30_000, DAY_START_MS + HOUR_MS + 1, None) == [
        early,
        late,
    ]
    assert store.gaps_between(DAY_START_MS + 60_000, DAY_START_MS + HOUR_MS, None) == []
    assert store.gaps_between(DAY_START_MS, DAY_END_MS, 2) == [late]


def test_importing_twice_adds_nothing_the_second_time(store: ReadingStore) -> None:
    """An import is idempotent, and skips readings recorded live."""
    store.append(seconds(1, DAY_START_MS, 10))
    store.flush()
    history = seconds(1, DAY_START_MS - 20_000, 30)  # the last 10 were recorded live
    assert store.import_readings(history, [Gap(1, 0, 1000)]) == 20
    assert store.import_readings(history, [Gap(1, 0, 1000)]) == 0
    assert store.daily_stats(DAY, DAY, 1)[0].total_readings == 10
    assert store.readings_between(0, DAY_END_MS, 1, 1000)[0].timestamp_ms == DAY_START_MS - 20_000
    assert store.gaps_between(0, 1, 1) == [Gap(1, 0, 1000)]


def test_importing_history_older_than_raw_retention_twice_counts_it_once(
    store: ReadingStore,
) -> None:
    """Readings past raw retention are recognised by their buckets on a second import."""
    store.prune(DAY_START_MS + 30 * DAY_MS)
    history = [reading(1, DAY_START_MS + i * MINUTE_MS, 100.0) for i in range(120)]
    assert store.import_readings(history, []) == 120
    assert store.import_readings(history, []) == 0
    assert store.daily_stats(DAY, DAY, 1)[0].total_readings == 120
    assert store.lifetime_energy_wh()[1] == pytest.approx(60.0)


def test_a_failed_flush_keeps_the_buffer_and_the_next_writes_it_once(harness: Harness) -> None:
    """While writes fail nothing is half-stored; once they work, every reading lands once."""
    store = harness.store
    store.append(seconds(1, DAY_START_MS, 5))
    store.flush()
    harness.break_writes()
    store.append(seconds(1, DAY_START_MS + 5000, 5))
    with pytest.raises(StorageError, match="5 readings kept in memory"):
        store.flush()
    health = store.health()
    assert health.pending_readings == 5
    assert health.last_error is not None
    assert store.daily_stats(DAY, DAY, 1)[0].total_readings == 10
    harness.heal_writes()
    assert store.flush().readings == 5
    assert store.health().last_error is None
    assert store.daily_stats(DAY, DAY, 1)[0].total_readings == 10
    assert len(store.readings_between(DAY_START_MS, DAY_END_MS, 1, 1000)) == 10


def test_a_full_buffer_drops_the_oldest_and_counts_them(
    make_harness: Callable[..., Harness],
) -> None:
    """Beyond max_buffered_readings the oldest readings go, and health says how many."""
    harness = make_harness(max_buffered=1000)
    harness.break_writes()
    harness.store.append(seconds(1, DAY_START_MS, 1500))
    with pytest.raises(StorageError):
        harness.store.flush()
    assert (harness.store.health().pending_readings, harness.store.health().dropped_readings) == (
        1000,
        500,
    )
    harness.heal_writes()
    harness.store.flush()
    assert harness.store.latest(1, 1)[0].timestamp_ms == DAY_START_MS + 1_499_000
    assert len(harness.store.readings_between(DAY_START_MS, DAY_END_MS, 1, 5000)) == 1000


def test_health_reports_the_last_flush(store: ReadingStore) -> None:
    """health() tells when the last flush succeeded and what is pending."""
    assert store.health().last_flush_ms is None
    store.append(seconds(1, DAY_START_MS, 3))
    assert store.health().pending_readings == 3
    store.flush()
    health = store.health()
    assert (health.last_flush_ms, health.pending_readings) == (NOW_S * 1000, 0)


def test_backup_copies_what_is_committed_and_the_store_goes_on(
    harness: Harness, tmp_path: Path
) -> None:
    """backup() copies the flushed readings; buffered ones wait for their flush, as before."""
    store = harness.store
    store.append(seconds(1, DAY_START_MS, 3))
    store.flush()
    store.append(seconds(1, DAY_START_MS + 3000, 2))
    store.backup(tmp_path / "copy")
    assert harness.backup_readings(tmp_path / "copy") == 3
    assert store.flush().readings == 2


def test_close_flushes_what_is_buffered_and_may_be_repeated(store: ReadingStore) -> None:
    """close() commits the buffered readings; a second close() does nothing more."""
    store.append(seconds(1, DAY_START_MS, 3))
    store.close()
    store.close()
    health = store.health()
    assert (health.pending_readings, health.last_flush_ms) == (0, NOW_S * 1000)


@pytest.fixture
def fast_thread_switches() -> Iterator[None]:
    """Let threads take turns every 10 µs instead of 5 ms, so they interleave often."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("fast_thread_switches")
def test_queries_running_alongside_appends_and_flushes_see_each_reading_once(
    store: ReadingStore,
) -> None:
    """With a sampler and a flusher busy, every answer counts exactly the readings appended."""
    appended = appending = 0  # readings appended for sure / perhaps, so far
    stop = threading.Event()
    # Each query lets the sampler append and the flusher flush meanwhile.
    appends, flushes = threading.Semaphore(0), threading.Semaphore(0)

    def sampler() -> None:
        nonlocal appended, appending
        while appends.acquire() and not stop.is_set():
            appending += 10
            store.append(seconds(1, DAY_START_MS + appended * 1000, 10))
            appended += 10

    def flusher() -> None:
        while flushes.acquire() and not stop.is_set():
            store.flush()

    threads = [threading.Thread(target=sampler), threading.Thread(target=flusher)]
    for thread in threads:
        thread.start()
    miscounts = []
    for _ in range(1000):
        appends.release(3)
        flushes.release()
        at_least = appended
        stats = store.daily_stats(DAY, DAY, 1)
        count = stats[0].total_readings if stats else 0
        if not at_least <= count <= appending:
            miscounts.append((at_least, count, appending))
    stop.set()
    appends.release()
    flushes.release()
    for thread in threads:
        thread.join()
    store.flush()
    assert miscounts == []
    assert store.daily_stats(DAY, DAY, 1)[0].total_readings == appended


def imported(
    appliance_id: int, ts_ms: int, watts: float = 100.0, energy_wh: float = 0.5
) -> Reading:
    """A reading of history imported from a CSV log: watts only, no volts or amps."""
    return Reading(appliance_id, ts_ms, watts, None, None, energy_wh, 60.0)


def test_imported_energy_is_counted_apart_from_live_energy(store: ReadingStore) -> None:
    """An import adds to the lifetime total and to the imported part, never to the live part."""
    store.append(seconds(1, DAY_START_MS + HOUR_MS, 4))  # 2 Wh live
    store.flush()
    store.append(seconds(1, DAY_START_MS + HOUR_MS + 4000, 2))  # 1 Wh live, still buffered
    history = [imported(1, DAY_START_MS - DAY_MS + i * MINUTE_MS, energy_wh=10.0) for i in range(3)]
    assert store.import_readings([*history, imported(2, DAY_START_MS, energy_wh=-1.0)], []) == 4
    assert store.import_readings(history, []) == 0  # known already: counted once
    energy = store.lifetime_energy()
    assert energy.live_wh == {1: pytest.approx(3.0), 2: 0.0}
    assert energy.imported_wh == {1: pytest.approx(30.0), 2: 0.0}
    assert energy.imported_out_wh == {1: 0.0, 2: pytest.approx(1.0)}  # negative: energy out
    assert energy.live_out_wh == {1: 0.0, 2: 0.0}
    assert store.lifetime_energy_wh() == {1: pytest.approx(33.0), 2: 0.0}
    store.flush()
    store.append(seconds(1, DAY_START_MS + 2 * HOUR_MS, 2))
    assert store.lifetime_energy().live_wh[1] == pytest.approx(4.0)


def test_readings_without_volts_are_served_with_none_and_left_out_of_means(
    store: ReadingStore,
) -> None:
    """Imported readings keep volts and amps None; bucket means average the measured ones."""
    minute = DAY_START_MS + HOUR_MS
    store.import_readings([imported(1, minute), imported(1, minute + MINUTE_MS)], [])
    store.append([reading(1, minute + 30_000, 230.0)])  # 230 V, 1 A, in the first minute
    raw = store.readings_between(minute, minute + 2 * MINUTE_MS, 1, 10)
    assert [(r.volts, r.amps) for r in raw] == [(None, None), (230.0, 1.0), (None, None)]
    for flushed in (False, True):
        if flushed:
            store.flush()
        means = store.readings_between(minute, minute + 2 * MINUTE_MS, 1, 2)
        assert [(r.samples, r.volts, r.amps) for r in means] == [
            (2, 230.0, 1.0),
            (1, None, None),
        ]
    store.prune(DAY_START_MS + 30 * DAY_MS)  # answered from minute rollups now
    means = store.readings_between(minute, minute + 2 * MINUTE_MS, 1, 2)
    assert [(r.samples, r.volts, r.amps) for r in means] == [(2, 230.0, 1.0), (1, None, None)]


def test_stored_appliances_missing_from_the_configuration_are_described(
    store: ReadingStore,
) -> None:
    """Names the configuration gave are kept; an appliance it dropped is listed with its data."""
    assert store.describe_appliances({1: "Fridge", 2: "Heater", 3: "Lamp"}) == []
    store.append(seconds(1, DAY_START_MS, 3) + seconds(2, DAY_START_MS, 5))
    store.flush()
    store.prune(DAY_START_MS + 30 * DAY_MS)  # raw readings gone: their days still count
    [heater] = store.describe_appliances({1: "Fridge"})
    assert (heater.appliance_id, heater.name, heater.readings) == (2, "Heater", 5)
    assert heater.energy_wh == pytest.approx(2.5)
    store.import_readings([imported(7, DAY_START_MS)], [])
    assert [(a.appliance_id, a.name) for a in store.describe_appliances({1: "Fridge"})] == [
        (2, "Heater"),
        (7, None),
    ]


def test_forgetting_an_appliance_deletes_its_data_and_nothing_else(store: ReadingStore) -> None:
    """forget_appliance removes one appliance's readings, rollups, gaps and counters."""
    store.append(seconds(1, DAY_START_MS, 3) + seconds(2, DAY_START_MS, 5))
    store.record_gap(Gap(2, DAY_START_MS + HOUR_MS, DAY_START_MS + 2 * HOUR_MS))
    store.flush()
    store.import_readings([imported(2, DAY_START_MS - DAY_MS)], [])
    kept = (
        store.readings_between(DAY_START_MS, DAY_END_MS, 1, 100),
        store.daily_stats(DAY, DAY, 1),
    )
    assert store.forget_appliance(2) == 6
    assert store.readings_between(0, DAY_END_MS, 2, 100) == []
    assert store.daily_stats(DAY - dt.timedelta(days=1), DAY, 2) == []
    assert store.gaps_between(0, DAY_END_MS, 2) == []
    assert 2 not in store.lifetime_energy().imported_wh
    assert 2 not in store.lifetime_energy_wh()
    assert [a.appliance_id for a in store.describe_appliances({})] == [1]
    assert (
        store.readings_between(DAY_START_MS, DAY_END_MS, 1, 100),
        store.daily_stats(DAY, DAY, 1),
    ) == kept
    assert store.forget_appliance(2) == 0
