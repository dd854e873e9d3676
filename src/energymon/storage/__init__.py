"""Storage: the ReadingStore protocol, SQLite (the default), an in-memory fake, the CSV log."""

from energymon.storage.base import FlushResult, ReadingStore, StorageError, StoreHealth

__all__ = ["FlushResult", "ReadingStore", "StorageError", "StoreHealth"]
