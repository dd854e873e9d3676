"""A seed log imported block by block as columns leaves the tables the old import left."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from energymon.domain.buckets import DAY_MS
from energymon.storage.seedlog import parse_csv, readings_from_csv_rows
from energymon.storage.seedlog.blocks import BlockParser, line_blocks
from energymon.storage.seedlog.stream import ReadingStream
from energymon.storage.sqlite import SqliteStore
from tests.integration.storage.sqlite.test_store import assert_same_rows, table

BERLIN = ZoneInfo("Europe/Berlin")
START = dt.datetime(2024, 3, 30, 20, 0)  # noqa: DTZ001 - naive local time, before the DST jump
START_MS = 1_711_825_200_000  # START in Berlin (UTC+1)
TABLES = ("readings", "rollup_minute", "rollup_hour", "rollup_day", "imported_energy", "gaps")


def seed_log() -> bytes:
    """Two appliances every 10 s for 30 hours over Berlin's spring-forward night, with a hole."""
    lines = ["timestamp,watts,appliance_id"]
    for offset in range(0, 30 * 3600, 10):
        if 3 * 3600 <= offset < 3 * 3600 + 600:
            continue  # ten minutes of silence: a gap
        stamp = (START + dt.timedelta(seconds=offset)).strftime("%Y-%m-%d %H:%M:%S")
        lines += [f"{stamp},{(offset // 10) % 23 - 3}.5,{a}" for a in (1, 2)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SqliteStore, SqliteStore]]:
    """A store for the old import (readings) and one for the columnar import."""
    pair = (
        SqliteStore(tmp_path / "old.db", zone=BERLIN),
        SqliteStore(tmp_path / "new.db", zone=BERLIN),
    )
    yield pair
    for store in pair:
        store.close()


def import_in_blocks(store: SqliteStore, data: bytes, block_bytes: int) -> int:
    """What `energymon import` does with a file, in blocks of `block_bytes`."""
    blocks = list(line_blocks(io.BytesIO(data), block_bytes))
    parser, stream = BlockParser(BERLIN), ReadingStream()
    added = 0
    for index, block in enumerate(blocks):
        parsed = parser.parse(block.lines, block.first_line)
        columns = stream.add(
            parsed.appliance_ids, parsed.instants_ms, parsed.watts, last=index == len(blocks) - 1
        )
        added += store.import_columns(columns)
    return added


# Pruned: nothing (all raw), raw past (rollups by minute), minutes past too (by hour).
@pytest.mark.parametrize("pruned_at_days", [None, 10, 100])
@pytest.mark.parametrize("block_bytes", [3_000, 1 << 20])
def test_columns_in_blocks_store_what_the_old_import_stored_and_only_once(
    stores: tuple[SqliteStore, SqliteStore], pruned_at_days: int | None, block_bytes: int
) -> None:
    """Raw rows, every rollup tier, the imported counter and the gaps are the old import's;
    importing again adds nothing."""
    old, new = stores
    if pruned_at_days is not None:
        for store in stores:
            store.prune(START_MS + pruned_at_days * DAY_MS)
    data = seed_log()
    readings, gaps = readings_from_csv_rows(parse_csv(data.decode().splitlines()).rows, BERLIN)
    expected = old.import_readings(readings, gaps)
    assert import_in_blocks(new, data, block_bytes) == expected > 0
    assert import_in_blocks(new, data, block_bytes) == 0
    for store in stores:
        store.close()
    for name in TABLES:
        assert_same_rows(table(old.path, name), table(new.path, name))
