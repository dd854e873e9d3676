"""Reading sysfs (/sys) through a small seam, so hwmon is tested on a tree under a tmp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

__all__ = ["SysfsLike", "SysfsTree"]


class SysfsLike(Protocol):
    """The part of sysfs the hwmon driver reads; paths are relative to the mount point."""

    def read(self, path: str) -> str:
        """The file's text, stripped; OSError when it is missing or cannot be read."""
        ...

    def glob(self, pattern: str) -> list[str]:
        """The paths (files or directories) matching a glob pattern, sorted."""
        ...


class SysfsTree:
    """sysfs as mounted at `root` (/sys on a Pi; any directory in tests)."""

    def __init__(self, root: Path | str = "/sys") -> None:
        """No I/O until the first read."""
        self.root = Path(root)

    def read(self, path: str) -> str:
        """The file's text, stripped."""
        return (self.root / path).read_text(encoding="ascii").strip()

    def glob(self, pattern: str) -> list[str]:
        """Relative paths under the root that match `pattern`."""
        return sorted(str(found.relative_to(self.root)) for found in self.root.glob(pattern))
