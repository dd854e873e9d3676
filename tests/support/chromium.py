"""Debian's Chromium, headless, driven by Playwright: how tests, screenshots and benchmarks
start it.

Playwright's pip package ships its driver but no browser, and nothing here may download one
(`playwright install` is never run): Chromium comes from Debian (`apt-get install chromium`,
which .ci/run does) and is launched by path. Each launch gets a fresh profile directory, so
no cache, cookie or service worker carries over between runs.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import BrowserContext, Playwright

__all__ = ["CHROMIUM_ARGS", "chromium_path", "launch"]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers have a small /dev/shm
    # No traffic of Chromium's own (updates, safe browsing, sync): the tests record every
    # request and must see only the page's.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's chromium on PATH, or None."""
    return shutil.which("chromium")


@contextmanager
def launch(playwright: Playwright, executable: str, **context: Any) -> Iterator[BrowserContext]:
    """A browser with a fresh profile; `context` options as for `new_context` (viewport,
    color_scheme, ...). Closed, and its profile removed, on exit."""
    with tempfile.TemporaryDirectory(prefix="energymon-chromium-") as profile:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS, **context
        )
        try:
            yield browser
        finally:
            browser.close()
