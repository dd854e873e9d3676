"""Which readings are new to a store, decided once over any backend's tables (`Tables`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from energymon.domain.buckets import Tier, bucket_start
from energymon.domain.model import Reading
from energymon.storage.tables import Horizon, Tables

__all__ = ["place_live", "split_import", "unseen"]

# A live reading is stamped with the start of its interval (whole seconds or more), so the
# milliseconds after a stamp are free: a repeat of a stored stamp moves into them.
MAX_REPEATS_MS = 1000


def unseen(tables: Tables, readings: Iterable[Reading]) -> list[Reading]:
    """The readings whose key is neither stored raw nor earlier in `readings` (first wins)."""
    by_appliance: dict[int, dict[int, Reading]] = {}
    for reading in readings:
        by_appliance.setdefault(reading.appliance_id, {}).setdefault(reading.timestamp_ms, reading)
    new: list[Reading] = []
    for appliance_id, by_ts in by_appliance.items():
        stored = tables.raw_timestamps(appliance_id, min(by_ts), max(by_ts))
        new.extend(r for ts, r in by_ts.items() if ts not in stored)
    return new


def split_import(
    tables: Tables, readings: Iterable[Reading], *, horizon: Horizon, zone: ZoneInfo
) -> tuple[list[Reading], list[Reading]]:
    """The new readings of an import: (to store raw and roll up, older ones to roll up only).

    Inside raw retention a reading is known by its key. Older ones have no raw row left to
    compare with, so one counts as known when its bucket already holds data: its minute while
    minutes are kept, else its hour. Importing a file twice, or one that overlaps what was
    recorded live, thus never counts a reading twice; the price is that an old reading falling
    into a bucket filled before is skipped (at most a minute or an hour at an overlap's edges).
    """
    recent: list[Reading] = []
    old: dict[tuple[Tier, int], dict[int, tuple[int, Reading]]] = {}
    for reading in readings:
        ts_ms = reading.timestamp_ms
        if ts_ms >= horizon.raw_from_ms:
            recent.append(reading)
            continue
        tier = Tier.MINUTE if ts_ms >= horizon.minute_from_ms else Tier.HOUR
        by_ts = old.setdefault((tier, reading.appliance_id), {})
        by_ts.setdefault(ts_ms, (bucket_start(tier, ts_ms, zone), reading))
    rollup_only: list[Reading] = []
    for (tier, appliance_id), by_ts in old.items():
        starts = [start_ms for start_ms, _ in by_ts.values()]
        stored = tables.rollups_between(tier, appliance_id, min(starts), max(starts) + 1)
        occupied = {start_ms for _, start_ms in stored}
        rollup_only.extend(r for start_ms, r in by_ts.values() if start_ms not in occupied)
    return unseen(tables, recent), rollup_only


def _same(a: Reading, b: Reading) -> bool:
    return dataclasses.replace(a, timestamp_ms=b.timestamp_ms) == b


def place_live(tables: Tables, readings: Sequence[Reading]) -> list[Reading]:
    """Live readings ready to store: none overwrites another, none is lost.

    Live readings are all new measurements, but their stamps can repeat stored ones: the wall
    clock stepped back (NTP on a Pi without a real-time clock), or the service restarted within
    one interval. Such a reading is stored at the first free millisecond after its stamp, in
    the same interval, minute and day, so counts, energy and daily stats keep every reading.
    Only a reading equal to one already there (a flush retried after it had committed, or the
    same reading buffered twice) is dropped.
    """
    by_appliance: dict[int, list[Reading]] = {}
    for reading in readings:
        by_appliance.setdefault(reading.appliance_id, []).append(reading)
    placed: list[Reading] = []
    for appliance_id, own in by_appliance.items():
        first_ms = min(r.timestamp_ms for r in own)
        end_ms = max(r.timestamp_ms for r in own) + MAX_REPEATS_MS
        taken = {r.timestamp_ms: r for r in tables.raw_between(appliance_id, first_ms, end_ms)}
        for reading in own:
            ts_ms = reading.timestamp_ms
            while ts_ms in taken and not _same(reading, taken[ts_ms]):
                ts_ms += 1
            if ts_ms in taken or ts_ms - reading.timestamp_ms >= MAX_REPEATS_MS:
                continue  # there already, or its interval is full of repeats
            taken[ts_ms] = placed_reading = dataclasses.replace(reading, timestamp_ms=ts_ms)
            placed.append(placed_reading)
    return placed
