"""Rows of a CSV log, block by block, into readings with energy and gaps, in bounded memory.

`readings_from_csv_rows` turns a whole file into readings at once. A year at 1 Hz does not fit
in memory, so here rows come in blocks and each appliance's rows wait (`held`) until their
hour is complete: a block emits, per appliance, its rows before the hour of its newest row,
each with the row that follows it in time (its energy is the trapezoid up to it). What is
emitted is thus whole hours, as an import's idempotency wants (see dedupe.split_import).

The rules are `readings_from_csv_rows`'s, applied per block: rows are put in time order per
appliance, a repeated instant keeps its first row, the cadence is the median spacing of the
block's rows (with the held ones), spacings over `max_gap_factor` × cadence are gaps, the row
before one and the file's last row book watts × cadence. A file of up to one block, or one in
time order per appliance whose cadence does not change, gives the same readings as reading it
whole. In a file that steps back in time, a row whose successor lies at or after rows emitted
by an earlier block books watts × cadence and records no gap (its true successor is unknown).
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from itertools import compress
from operator import sub

from energymon.domain.buckets import HOUR_MS
from energymon.domain.model import Gap
from energymon.storage.columns import ImportedColumns

__all__ = ["ReadingStream"]


class ReadingStream:
    """Readings of CSV rows fed in file order; `add(..., last=True)` emits what is held."""

    def __init__(
        self, *, default_cadence_seconds: float = 60.0, max_gap_factor: float = 5.0
    ) -> None:
        self._default_cadence_ms = default_cadence_seconds * 1000
        self._max_gap_factor = max_gap_factor
        self._held: dict[int, dict[int, float]] = {}  # per appliance: instant -> watts
        self._cadence_ms: dict[int, float] = {}
        self._emitted: dict[int, tuple[int, int]] = {}  # per appliance: first, last instant

    def add(
        self, appliance_ids: list[int], instants_ms: list[int], watts: list[float], *, last: bool
    ) -> ImportedColumns:
        """The readings this block completes (all that is held, when `last`)."""
        out = ImportedColumns()
        owners = set(appliance_ids)
        for appliance_id in sorted(owners | self._held.keys()):
            if len(owners) == 1:
                times, values = instants_ms, watts
            else:
                mask = [owner == appliance_id for owner in appliance_ids]
                times, values = list(compress(instants_ms, mask)), list(compress(watts, mask))
            points = dict(zip(reversed(times), reversed(values), strict=True))  # first wins
            points.update(self._held.pop(appliance_id, {}))  # held rows came earlier
            self._emit(out, appliance_id, points, last=last)
        return out

    def _emit(
        self, out: ImportedColumns, appliance_id: int, points: dict[int, float], *, last: bool
    ) -> None:
        times = sorted(points)
        spacings = list(map(sub, times[1:], times[:-1]))
        if spacings:
            self._cadence_ms[appliance_id] = statistics.median(spacings)
        cadence_ms = self._cadence_ms.get(appliance_id, self._default_cadence_ms)
        count = len(times) if last else bisect_left(times, times[-1] - times[-1] % HOUR_MS)
        if count < len(times):
            self._held[appliance_id] = {ts_ms: points[ts_ms] for ts_ms in times[count:]}
        if count == 0:
            return
        emitted = times[:count]
        values = [points[ts_ms] for ts_ms in emitted]
        followed = min(count, len(times) - 1)  # rows whose successor is known
        nexts = (
            values[1 : followed + 1] if followed < count else [*values[1:], points[times[count]]]
        )
        limit_ms = self._max_gap_factor * cadence_ms
        energy = [
            (w + w_next) / 2 * span_ms / HOUR_MS
            if span_ms <= limit_ms
            else w * cadence_ms / HOUR_MS
            for w, w_next, span_ms in zip(values, nexts, spacings[:followed], strict=False)
        ]
        covered = [
            span_ms / 1000 if span_ms <= limit_ms else cadence_ms / 1000
            for span_ms in spacings[:followed]
        ]
        gaps = [
            Gap(appliance_id, ts_ms + round(cadence_ms), ts_ms + span_ms)
            for ts_ms, span_ms in zip(emitted, spacings[:followed], strict=False)
            if span_ms > limit_ms
        ]
        if followed < count:  # the file's last row
            energy.append(values[-1] * cadence_ms / HOUR_MS)
            covered.append(cadence_ms / 1000)
        seen = self._emitted.get(appliance_id)
        if seen is not None and emitted[0] < seen[1]:  # some rows are older than emitted ones
            for index in range(followed):
                if times[index] < seen[1] and times[index + 1] > seen[0]:
                    # Rows emitted before may lie in between: the true successor is unknown.
                    energy[index] = values[index] * cadence_ms / HOUR_MS
                    covered[index] = cadence_ms / 1000
                    gap_start_ms = times[index] + round(cadence_ms)
                    gaps = [g for g in gaps if g.start_ms != gap_start_ms]
        first_ms = emitted[0] if seen is None else min(seen[0], emitted[0])
        seen = (first_ms, emitted[-1] if seen is None else max(seen[1], emitted[-1]))
        self._emitted[appliance_id] = seen
        start = len(out.timestamps_ms)
        out.timestamps_ms += emitted
        out.watts += values
        out.energy_wh += energy
        out.covered_seconds += covered
        out.runs.append((appliance_id, start, start + count))
        out.gaps += gaps
