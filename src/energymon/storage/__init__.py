"""Storage: the one ReadingStore protocol (base) and a package per backend.

sqlite/ is the store the service runs on, memory/ its fake for tests, seedlog/ the seed's CSV
log beside it. The backends share tables (the Tables contract their tables give the shared
code), tiers (the queries), dedupe (which readings are new) and buffer (what waits for a flush).
"""

from energymon.storage.base import (
    FlushResult,
    LifetimeEnergy,
    ReadingStore,
    StorageError,
    StoredAppliance,
    StoreHealth,
    StoreOpener,
)

__all__ = [
    "FlushResult",
    "LifetimeEnergy",
    "ReadingStore",
    "StorageError",
    "StoreHealth",
    "StoreOpener",
    "StoredAppliance",
]
