"""A sysfs in memory: each file's text computed when it is read, like the kernel's attributes."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase

__all__ = ["FakeSysfs"]


class FakeSysfs:
    """Files by relative path, each a function giving its text now; directories implied."""

    def __init__(self) -> None:
        """An empty tree."""
        self._files: dict[str, Callable[[], str]] = {}

    def add(self, path: str, text: Callable[[], str] | str) -> None:
        """Put a file at `path` with fixed text or text computed at each read."""
        self._files[path] = text if callable(text) else (lambda: text)

    def remove(self, prefix: str) -> None:
        """Take away every file under `prefix` (a device unbound from its driver)."""
        for path in [p for p in self._files if p == prefix or p.startswith(prefix + "/")]:
            del self._files[path]

    def read(self, path: str) -> str:
        """The file's text; FileNotFoundError like a missing sysfs attribute."""
        try:
            return self._files[path]().strip()
        except KeyError:
            raise FileNotFoundError(2, "No such file or directory", path) from None

    def glob(self, pattern: str) -> list[str]:
        """Files and implied directories matching `pattern`, segment by segment."""
        wanted = pattern.split("/")
        found: set[str] = set()
        for path in self._files:
            parts = path.split("/")
            if len(parts) >= len(wanted) and all(
                fnmatchcase(part, want) for part, want in zip(parts, wanted, strict=False)
            ):
                found.add("/".join(parts[: len(wanted)]))
        return sorted(found)
