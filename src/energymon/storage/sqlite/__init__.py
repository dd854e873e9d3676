"""The SQLite backend (the default): SqliteStore, one WAL database file under the data directory.

store: SqliteStore, the ReadingStore, and `open_sqlite_store`, how bootstrap opens it.
database: the file's connections and locks. schema: the schema and its migrations. tables: one
connection's view of every table, over raw (the raw readings) and rollups (minute, hour, day).
writes: flushes, imports, bulk loads and pruning. batch: many rows per INSERT statement.
"""

from energymon.storage.sqlite.store import DB_FILENAME, SqliteStore, open_sqlite_store

__all__ = ["DB_FILENAME", "SqliteStore", "open_sqlite_store"]
