"""System packages some tests need: skipped on a laptop without them, required in CI."""

from __future__ import annotations

import os

import pytest


def require(found: str | None, package: str) -> str:
    """`found` (a path), or skip with the apt-get line; under CI=true a missing one fails."""
    if found is not None:
        return found
    reason = f"needs Debian's {package}: sudo apt-get install {package}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (.ci/run installs it)")
    pytest.skip(reason)
