"""Storage: the one ReadingStore protocol (base) and a package per backend.

sqlite/ is the store the service runs on, memory/ its fake for tests, seedlog/ the seed's CSV
log beside it. The backends share buffered (BufferedStore: the buffer, queries and health every
store has), tables (the Tables contract their tables give the shared code), tiers (the queries),
dedupe (which readings are new) and buffer (what waits for a flush).
"""

# What most callers need; every type of the interface is in storage.base.
from energymon.storage.base import FlushResult, ReadingStore, StorageError, StoreHealth

__all__ = ["FlushResult", "ReadingStore", "StorageError", "StoreHealth"]
