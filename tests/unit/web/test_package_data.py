"""Every file the pages load is package data, so a wheel (and the Pi) has it."""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

from energymon.web.assets import STATIC_DIR

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


def test_package_data_covers_every_static_file() -> None:
    """Each file under web/static/ matches a pattern of [tool.setuptools.package-data]."""
    patterns = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["energymon.web"]
    web = STATIC_DIR.parent
    files = [p.relative_to(web).as_posix() for p in STATIC_DIR.rglob("*") if p.is_file()]
    assert files
    assert [f for f in files if not any(_globbed(f, pattern) for pattern in patterns)] == []


def _globbed(path: str, pattern: str) -> bool:
    """Whether setuptools' glob `pattern` takes `path` (a `*` never crosses a folder)."""
    parts = PurePosixPath(path)
    return len(parts.parts) == len(PurePosixPath(pattern).parts) and parts.match(pattern)
