"""Fixtures of the SQLite store's own tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from energymon.storage.sqlite import SqliteStore

ZONE = ZoneInfo("Europe/Berlin")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A store in a fresh file under tmp_path, in Berlin's days, closed after the test."""
    store = SqliteStore(tmp_path / "energymon.db", zone=ZONE)
    yield store
    store.close()
