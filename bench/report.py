"""Figures as one printed line each, and the Markdown table `make bench` writes."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Figure",
    "Target",
    "load_average",
    "machine_description",
    "markdown_table",
    "percentile",
]


@dataclass(frozen=True, slots=True)
class Target:
    """A bound a figure must keep: `value <= limit` ("<=") or `value >= limit` (">=")."""

    op: str
    limit: float
    unit: str

    def met(self, value: float) -> bool:
        """Whether `value` keeps the bound."""
        return value <= self.limit if self.op == "<=" else value >= self.limit

    def __str__(self) -> str:
        sign = "≤" if self.op == "<=" else "≥"
        return f"{sign} {_number(self.limit)} {self.unit}".rstrip()


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure; `target` None for figures shown for context only."""

    id: str
    what: str
    value: float
    unit: str
    target: Target | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        """ "met", "MISSED" or "-" (no target)."""
        if self.target is None:
            return "-"
        if math.isnan(self.value):
            return "n/a"
        return "met" if self.target.met(self.value) else "MISSED"

    def line(self) -> str:
        """The line a benchmark prints: id, what, value, unit, target, verdict."""
        value = f"{_number(self.value)} {self.unit}".rstrip()
        target = str(self.target) if self.target else "-"
        text = f"{self.id:<4} {self.what:<46} {value:>16}   target {target:<14} {self.verdict}"
        return f"{text}   ({self.note})" if self.note else text


def _number(value: float) -> str:
    if math.isnan(value):  # not measured
        return "n/a"
    if value == int(value) and abs(value) < 1e9:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (`fraction` 0.99 for p99) of `values`; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = math.ceil(round(fraction * len(ordered), 6))
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    """The 1-minute load average: how busy the machine was (others share it)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def machine_description() -> str:
    """CPU model, cores, OS, Python, the date and the load, for the results file."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {sys.version.split()[0]}; run {now}, load average {load_average()} at the end"
    )


def markdown_table(figures: list[Figure], *, title: str, notes: list[str]) -> str:
    """The results file: the machine, one table row per figure, then the notes."""
    rows = [
        f"# {title}",
        "",
        f"Machine: {machine_description()}",
        "",
        "| id | measure | value | target | verdict | note |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        value = f"{_number(f.value)} {f.unit}".rstrip()
        target = str(f.target) if f.target else "-"
        rows.append(f"| {f.id} | {f.what} | {value} | {target} | {f.verdict} | {f.note} |")
    rows += ["", *notes, ""] if notes else [""]
    return "\n".join(rows)
