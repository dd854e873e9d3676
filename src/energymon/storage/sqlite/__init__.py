"""The SQLite backend (the default): SqliteStore, one WAL database file under the data directory.

store: SqliteStore, the ReadingStore. database: the file's connections and locks. schema: the
schema and its migrations. raw: the raw readings table. tables: one connection's view of every
table. writes: flushes, imports, bulk loads and pruning. batch: many rows per INSERT statement.
"""

from energymon.storage.sqlite.store import DB_FILENAME, SqliteStore

__all__ = ["DB_FILENAME", "SqliteStore"]
