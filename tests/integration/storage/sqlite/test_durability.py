"""SqliteStore on disk: WAL, one transaction per flush, surviving SIGKILL, online backups."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from energymon.domain.model import Reading
from energymon.storage.base import StorageError
from energymon.storage.sqlite import SqliteStore

ZONE = ZoneInfo("Europe/Berlin")
T0_MS = 1_717_200_000_000  # 2024-06-01 00:00 UTC


def seconds(start_ms: int, count: int, appliance_id: int = 1) -> list[Reading]:
    """`count` one-second readings."""
    return [
        Reading(appliance_id, start_ms + i * 1000, 100.0, 230.0, 0.43, 100 / 3600, 1.0)
        for i in range(count)
    ]


@contextlib.contextmanager
def raw_connection(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection of our own, closed afterwards."""
    conn = sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


def counts(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """(raw readings, readings counted in minute rollups, readings counted in day rollups)."""
    raw = conn.execute("SELECT count(*) FROM readings").fetchone()[0]
    minutes = conn.execute("SELECT coalesce(sum(count), 0) FROM rollup_minute").fetchone()[0]
    days = conn.execute("SELECT coalesce(sum(count), 0) FROM rollup_day").fetchone()[0]
    return raw, minutes, days


def test_the_database_is_in_wal_mode(store: SqliteStore) -> None:
    """Any connection to the file finds it in WAL mode."""
    with raw_connection(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_flush_failing_at_its_last_write_leaves_nothing_behind(store: SqliteStore) -> None:
    """Raw rows and rollups go in one transaction: when the last write fails, none is kept."""
    store.append(seconds(T0_MS, 10))
    store.flush()
    with raw_connection(store.path) as conn:
        conn.execute(
            "CREATE TRIGGER fail BEFORE INSERT ON appliances "
            "BEGIN SELECT RAISE(ABORT, 'injected'); END"
        )
        conn.commit()
    store.append(seconds(T0_MS + 10_000, 10, appliance_id=2))  # a new appliance: written last
    with pytest.raises(StorageError, match="injected"):
        store.flush()
    with raw_connection(store.path) as conn:
        assert counts(conn) == (10, 10, 10)
        conn.execute("DROP TRIGGER fail")
        conn.commit()
    assert store.flush().readings == 10


@contextlib.contextmanager
def writing(store: SqliteStore, per_flush: int) -> Iterator[Callable[[], int]]:
    """A thread that flushes `per_flush` new one-second readings at a time until the block
    ends; yields how many flushes it has committed so far."""
    stop = threading.Event()
    flushes = 0

    def writer() -> None:
        nonlocal flushes
        while not stop.is_set():
            store.append(seconds(T0_MS + flushes * per_flush * 1000, per_flush))
            store.flush()
            flushes += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        yield lambda: flushes
    finally:
        stop.set()
        thread.join()


def test_readers_never_see_raw_rows_without_their_rollups(store: SqliteStore) -> None:
    """While flushes run, every snapshot holds as many raw rows as its rollups count."""
    seen = []
    with writing(store, per_flush=50) as flushes, raw_connection(store.path) as conn:
        while flushes() < 100:
            with conn:  # one read transaction: one snapshot
                conn.execute("BEGIN")
                seen.append(counts(conn))
    assert all(raw == minutes == days for raw, minutes, days in seen)
    assert len(set(seen)) > 10


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from zoneinfo import ZoneInfo
    from energymon.domain.model import Reading
    from energymon.storage.sqlite import SqliteStore

    store = SqliteStore(Path(sys.argv[1]), zone=ZoneInfo("Europe/Berlin"))
    start_ms, batch = int(sys.argv[2]), 2000
    flushed = 0
    while True:
        store.append(
            Reading(a, start_ms + (flushed + i) * 1000, 100.0, 230.0, 0.4, 0.03, 1.0)
            for i in range(batch // 2) for a in (1, 2)
        )
        store.flush()
        flushed += batch // 2
        print(flushed, flush=True)
    """
)


@pytest.mark.parametrize("flushes_before_kill", [3, 11])
def test_sigkill_while_writing_leaves_a_sound_database_with_every_flushed_reading(
    tmp_path: Path, flushes_before_kill: int
) -> None:
    """A writer killed mid-flush leaves a database that opens, checks ok and lost no flush."""
    path = tmp_path / "energymon.db"
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), str(T0_MS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    reported = [int(child.stdout.readline()) for _ in range(flushes_before_kill)]
    child.send_signal(signal.SIGKILL)  # the writer is busy with the next flush by now
    child.wait()
    child.stdout.close()
    with raw_connection(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        raw, minutes, days = counts(conn)
        assert raw == minutes == days
        assert raw >= 2 * reported[-1]
        flushed_range = (T0_MS, T0_MS + reported[-1] * 1000)
        sql = "SELECT count(*) FROM readings WHERE ts_ms >= ? AND ts_ms < ?"
        assert conn.execute(sql, flushed_range).fetchone()[0] == 2 * reported[-1]
    reopened = SqliteStore(path, zone=ZONE)
    assert reopened.lifetime_energy_wh()[1] == pytest.approx(raw / 2 * 0.03)
    reopened.close()


def test_backup_while_writing_is_a_consistent_single_file(
    store: SqliteStore, tmp_path: Path
) -> None:
    """Backups taken while another thread flushes are sound snapshots, complete up to a flush."""
    copies = []
    with writing(store, per_flush=100) as flushes:
        for number in range(3):
            flushed_before = flushes() * 100
            dest = tmp_path / f"backup-{number}.db"
            store.backup(dest)
            copies.append((dest, flushed_before))
    for dest, flushed_before in copies:
        assert not dest.with_name(dest.name + "-wal").exists()
        with raw_connection(dest) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            raw, minutes, days = counts(conn)
        assert raw == minutes == days >= flushed_before


def test_a_backup_opens_as_a_store_with_the_same_answers(
    store: SqliteStore, tmp_path: Path
) -> None:
    """The copy is a working database: the same lifetime energy and daily stats."""
    store.append(seconds(T0_MS, 500))
    store.flush()
    store.backup(tmp_path / "copy.db")
    copy = SqliteStore(tmp_path / "copy.db", zone=ZONE)
    assert copy.lifetime_energy_wh() == store.lifetime_energy_wh()
    day = dt.date(2024, 6, 1)
    assert copy.daily_stats(day, day, None) == store.daily_stats(day, day, None)
    copy.close()


def test_closing_folds_the_wal_into_the_database(store: SqliteStore) -> None:
    """After close the WAL is empty: the database file alone holds everything."""
    store.append(seconds(T0_MS, 100))
    store.close()
    wal = store.path.with_name(store.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with raw_connection(store.path) as conn:
        assert counts(conn)[0] == 100
