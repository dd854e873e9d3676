"""The SQLite file: connection settings, the schema and its migrations (PRAGMA user_version).

Durability. WAL with synchronous=FULL: each commit (one per flush, every 10 s by default) is
fsynced to the WAL, so a power cut loses at most the flush window that was still in memory, as
DESIGN.md promises. NORMAL would skip that fsync and could lose everything since the last
checkpoint (minutes) on a power cut; one fsync per 10 s is cheap even on an SD card. Either way
the database is never corrupt: recovery replays the WAL up to its last whole, checksummed commit.

Bytes written. Each commit appends every page it changed to the WAL (page + 24 bytes), and the
kernel counts whole 4 KiB blocks; on top come the wal-index (-shm) pages the kernel writes back
every half minute, and the pages a checkpoint copies into the database. So a flush must change
few pages: pages are 1 KiB, raw readings are one time-ordered rowid table that a flush appends
to at its right edge (see raw), and rollups are keyed by bucket first, so a flush
changes one leaf per tier whatever the number of appliances. A flush of 30 readings changes
about 8 pages, where raw rows keyed by appliance first changed about 17.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from energymon.storage.base import StorageError
from energymon.storage.sqlite.migrations import MIGRATIONS, Migration

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "PAGE_SIZE",
    "connect",
    "migrate",
    "open_database",
]

PAGE_SIZE = 1024
BUSY_TIMEOUT_SECONDS = 10.0
# After a checkpoint a WAL that grew beyond this (a bulk load) is truncated back to it.
JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024

READER_CACHE_KIB = 1024  # per reader; the queries read rollups, a few hundred pages at most


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (we BEGIN ourselves), usable from any thread we lock."""
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA synchronous = FULL")
    if read_only:
        conn.execute("PRAGMA query_only = ON")
        conn.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
    return conn


def migrate(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> None:
    """Bring the schema to the latest version, one transaction per step."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        # PRAGMA database_list names the file behind the connection: (seq, name, file).
        path = conn.execute("PRAGMA database_list").fetchone()[2] or "the database"
        raise StorageError(
            f"{path}: database schema version {version} is newer than this energymon knows "
            f"(versions up to {len(migrations)}); upgrade energymon, or restore a backup made "
            "by this version"
        )
    for target, step in enumerate(migrations[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(conn)
            conn.execute(f"PRAGMA user_version = {target:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def open_database(path: Path) -> sqlite3.Connection:
    """The writer's connection: WAL on, checkpoints ours to run, schema up to date."""
    conn = connect(path)
    try:
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE:d}")  # only a new database takes it
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StorageError(f"{path}: cannot switch the database to WAL mode (got {mode})")
        # Checkpoints run after a flush, outside the lock queries wait on, not inside a commit.
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT_BYTES:d}")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn
