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
whole. In a file that steps back in time (logs concatenated out of order) each row is still
read once; where its parts meet, a row whose successor in time lies among the rows of another
part books watts × cadence and records no gap, as a file's last row does (which row of that
part follows is not kept). A row before all that was emitted is held until its successor is
known, and at the end of the file is followed by the first row emitted.
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
        # Per appliance: the first emitted instant and its watts, the last emitted instant.
        self._emitted: dict[int, tuple[int, float, int]] = {}

    def add(
        self, appliance_ids: list[int], instants_ms: list[int], watts: list[float], *, last: bool
    ) -> ImportedColumns:
        """The readings this block completes (all that is held, when `last`)."""
        out = ImportedColumns()
        owners = set(appliance_ids)
        for appliance_id in sorted(owners | self._held.keys()):
            if owners == {appliance_id}:
                times, values = instants_ms, watts
            elif appliance_id in owners:
                mask = [owner == appliance_id for owner in appliance_ids]
                times, values = list(compress(instants_ms, mask)), list(compress(watts, mask))
            else:  # rows held from earlier blocks only
                times, values = [], []
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
        seen = self._emitted.get(appliance_id)
        count = len(times) if last else _complete(times, seen)
        if count < len(times):
            self._held[appliance_id] = {ts_ms: points[ts_ms] for ts_ms in times[count:]}
        if count == 0:
            return
        emitted = times[:count]
        values = [points[ts_ms] for ts_ms in emitted]
        followed = min(count, len(times) - 1)  # rows whose successor is here
        # Each row's successor: how far (None: unknown, a run ends there) and its watts.
        spans: list[int | None] = [*spacings[:followed], *[None] * (count - followed)]
        nexts = [*values[1:], points[times[count]] if count < len(times) else 0.0]
        if seen is not None and emitted[0] < seen[2]:  # rows older than some emitted before
            _successors_of_older_rows(seen, times, spans, nexts)
        limit_ms = self._max_gap_factor * cadence_ms
        energy = [
            (w + w_next) / 2 * span_ms / HOUR_MS
            if span_ms is not None and span_ms <= limit_ms
            else w * cadence_ms / HOUR_MS
            for w, w_next, span_ms in zip(values, nexts, spans, strict=True)
        ]
        covered = [
            span_ms / 1000 if span_ms is not None and span_ms <= limit_ms else cadence_ms / 1000
            for span_ms in spans
        ]
        gaps = [
            Gap(appliance_id, ts_ms + round(cadence_ms), ts_ms + span_ms)
            for ts_ms, span_ms in zip(emitted, spans, strict=True)
            if span_ms is not None and span_ms > limit_ms
        ]
        if seen is None or emitted[0] < seen[0]:
            seen = (emitted[0], values[0], emitted[-1] if seen is None else seen[2])
        self._emitted[appliance_id] = (seen[0], seen[1], max(seen[2], emitted[-1]))
        start = len(out.timestamps_ms)
        out.timestamps_ms += emitted
        out.watts += values
        out.energy_wh += energy
        out.covered_seconds += covered
        out.runs.append((appliance_id, start, start + count))
        out.gaps += gaps


def _complete(times: list[int], seen: tuple[int, float, int] | None) -> int:
    """How many of an appliance's rows (in time order) can be emitted before the file ends:
    those before the hour of the newest, or of the first one that steps over the rows emitted
    before (the rows between may come later in the file)."""
    newest_ms = times[-1]
    if seen is not None and times[0] < seen[0] < newest_ms:
        newest_ms = times[bisect_left(times, seen[0]) - 1]
    return bisect_left(times, newest_ms - newest_ms % HOUR_MS)


def _successors_of_older_rows(
    seen: tuple[int, float, int], times: list[int], spans: list[int | None], nexts: list[float]
) -> None:
    """Successors of rows older than rows emitted before (`seen`: first instant and watts,
    last instant): one before all of those (at the end of the file: `_complete` holds it until
    then) is followed by the first of them; among them, which follows is not known."""
    first_ms, first_watts, last_ms = seen
    for index in range(len(spans)):
        ts_ms = times[index]
        if ts_ms >= last_ms:
            break
        next_ms = times[index + 1] if index + 1 < len(times) else None
        if ts_ms < first_ms and (next_ms is None or next_ms > first_ms):
            spans[index], nexts[index] = first_ms - ts_ms, first_watts
        elif ts_ms > first_ms and next_ms is not None:
            spans[index] = None
