"""The in-memory backend: MemoryStore, the ReadingStore fake with SqliteStore's semantics.

For tests of the layers above storage; `fail_writes` makes its writes fail as a full disk would.
"""

from energymon.storage.memory.store import MemoryStore

__all__ = ["MemoryStore"]
