"""What one benchmark run hands every measure: its size, its folders, the figures so far."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from bench import datagen
from bench.report import Figure

__all__ = ["BENCH_DIR", "REPO_DIR", "Context"]

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent


@dataclass
class Context:
    """A run: `smoke` (tiny sizes), the cache (kept) and a scratch folder (removed after).

    The scratch folder is this process's own, so runs at the same time leave each other alone.
    """

    smoke: bool
    cache_dir: Path = BENCH_DIR / ".cache"
    work_dir: Path = BENCH_DIR / ".cache" / f"work-{os.getpid()}"
    figures: dict[str, list[Figure]] = field(default_factory=dict)
    _dataset: datagen.Dataset | None = None

    def dataset(self) -> datagen.Dataset:
        """The year of data (smoke: ten days, one day raw), built on first use, cached."""
        if self._dataset is None:
            days, retention_days = (10, 1) if self.smoke else (366, 7)
            self._dataset = datagen.dataset(
                self.cache_dir, days=days, retention_days=retention_days
            )
        return self._dataset

    def scratch(self, name: str) -> Path:
        """An empty folder for one measure, on the same disk as the cache (not tmpfs)."""
        path = self.work_dir / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def figure(self, measure: str, what_prefix: str) -> Figure | None:
        """An earlier figure of this run, found by measure id and the start of its label."""
        for figure in self.figures.get(measure, []):
            if figure.what.startswith(what_prefix):
                return figure
        return None
