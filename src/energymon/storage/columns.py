"""Imported readings as columns: many rows of history without an object per row."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, repeat

from energymon.domain.model import Gap, Reading

__all__ = ["ImportedColumns"]


@dataclass(slots=True)
class ImportedColumns:
    """Readings of history with watts only (no volts or amps), one list per field.

    Rows are grouped by appliance (`runs`: appliance id, first row, end row) and in time order
    within each group; `gaps` are the silences found between them.
    """

    timestamps_ms: list[int] = field(default_factory=list)
    watts: list[float] = field(default_factory=list)
    energy_wh: list[float] = field(default_factory=list)
    covered_seconds: list[float] = field(default_factory=list)
    runs: list[tuple[int, int, int]] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.timestamps_ms)

    def appliance_ids(self) -> Iterator[int]:
        """The appliance of each row."""
        return chain.from_iterable(repeat(aid, end - start) for aid, start, end in self.runs)

    def readings(self) -> list[Reading]:
        """The rows as Readings (for stores without a columnar import)."""
        return [
            Reading(aid, ts_ms, watts, None, None, energy_wh, covered_s)
            for aid, ts_ms, watts, energy_wh, covered_s in zip(
                self.appliance_ids(),
                self.timestamps_ms,
                self.watts,
                self.energy_wh,
                self.covered_seconds,
                strict=True,
            )
        ]
