"""History imported as columns (`energymon import`): which rows are new, and their writes.

The same decisions as `dedupe.split_import`, made on columns in one transaction per block:
inside raw retention a row is known by its key; older rows have no raw row to compare with,
so one counts as known when its bucket holds data already (its minute while minutes are
kept, else its hour). The new rows are written raw (inside retention), into the rollups (as
minute totals, summed into hours and days), and their positive energy into the imported
counter, so live counters never see it.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import compress

from energymon.domain.buckets import MINUTE_MS, Tier, bucket_start
from energymon.domain.model import Flow
from energymon.domain.stats import Rollups, imported_totals, tiers_from_minutes
from energymon.storage.columns import ImportedColumns
from energymon.storage.sqlite.raw import SLOTS
from energymon.storage.sqlite.tables import SqliteTables

__all__ = ["import_columns"]


def _unknown_old(tables: SqliteTables, appliance_id: int, times: list[int]) -> list[bool]:
    """For rows before raw retention: whether each one's bucket holds no data yet."""
    minute_from_ms = tables.horizon().minute_from_ms
    split = bisect_left(times, minute_from_ms)
    new: list[bool] = []
    for tier, part in ((Tier.HOUR, times[:split]), (Tier.MINUTE, times[split:])):
        if not part:
            continue
        starts = [bucket_start(tier, ts_ms, tables.zone) for ts_ms in part]
        stored = tables.rollups_between(tier, appliance_id, starts[0], starts[-1] + 1)
        occupied = {start_ms for _, start_ms in stored}
        new += [start_ms not in occupied for start_ms in starts]
    return new


def _stored_keys(
    tables: SqliteTables, columns: ImportedColumns, slots: dict[int, int], raw_from_ms: int
) -> set[int]:
    """The stored raw keys in the span of the block's rows inside raw retention."""
    spans = [
        (columns.timestamps_ms[start], columns.timestamps_ms[end - 1], slots[appliance_id])
        for appliance_id, start, end in columns.runs
        if columns.timestamps_ms[end - 1] >= raw_from_ms
    ]
    if not spans:
        return set()
    first_key = max(min(first for first, _, _ in spans), raw_from_ms) * SLOTS
    last_key = max(last * SLOTS + slot for _, last, slot in spans)
    return tables.raw.keys_between(first_key, last_key)


def _add_minutes(
    into: Rollups, appliance_id: int, times: list[int], values: tuple[list[float], ...]
) -> None:
    """The minute totals of one appliance's rows (in time order) into `into`.

    `values` are the rows' watts, energy_wh and covered seconds.
    """
    watts, energy_wh, covered_s = values
    start = 0
    while start < len(times):
        minute_ms = times[start] - times[start] % MINUTE_MS
        end = bisect_left(times, minute_ms + MINUTE_MS, start)
        into[(appliance_id, minute_ms)] = imported_totals(
            watts[start:end], energy_wh[start:end], covered_s[start:end]
        )
        start = end


def import_columns(tables: SqliteTables, columns: ImportedColumns) -> int:
    """Write the new rows of `columns` (see the module) in the caller's transaction.

    Returns how many were new.
    """
    slots = tables.raw.register(appliance_id for appliance_id, _, _ in columns.runs)
    raw_from_ms = tables.horizon().raw_from_ms
    minutes: Rollups = {}
    written = 0
    stored = _stored_keys(tables, columns, slots, raw_from_ms)  # before this block's writes
    for appliance_id, start, end in columns.runs:
        times = columns.timestamps_ms[start:end]
        watts = columns.watts[start:end]
        energy = columns.energy_wh[start:end]
        covered = columns.covered_seconds[start:end]
        split = bisect_left(times, raw_from_ms)
        new = _unknown_old(tables, appliance_id, times[:split]) if split else []
        slot = slots[appliance_id]
        keys = [ts_ms * SLOTS + slot for ts_ms in times[split:]]
        fresh = [key not in stored for key in keys] if stored else [True] * len(keys)
        if not all(fresh):
            keys = list(compress(keys, fresh))
        new += fresh
        if not all(new):
            times = list(compress(times, new))
            watts, energy, covered = (list(compress(c, new)) for c in (watts, energy, covered))
        written += len(times)
        raw = len(times) - len(keys)  # the new rows before raw retention come first
        tables.raw.insert_imported(keys, watts[raw:], energy[raw:], covered[raw:])
        _add_minutes(minutes, appliance_id, times, (watts, energy, covered))
    tables.rollups.add_tiers(tiers_from_minutes(minutes, tables.zone))
    imported: dict[int, Flow] = {}
    for (appliance_id, _), totals in minutes.items():
        imported.setdefault(appliance_id, Flow()).add(
            Flow(totals.energy_in_wh, totals.energy_out_wh)
        )
    tables.add_imported_flows(imported)
    tables.add_gaps(columns.gaps)
    return written
