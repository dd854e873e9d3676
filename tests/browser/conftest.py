"""Fixtures for the page in a real browser: Debian's Chromium driven by Playwright, against the
real `energymon serve` on simulated sensors. Without Chromium they skip (CI=true: fail)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

from tests.browser.history import import_history
from tests.e2e.support import APPLIANCES, ServerProcess, make_server
from tests.support.chromium import chromium_path, launch
from tests.support.system import require

HISTORY_DAYS = 3
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's Chromium."""
    return require(chromium_path(), "chromium")


@pytest.fixture(scope="module")
def playwright(chromium: str) -> Iterator[Playwright]:
    """Playwright's driver (shipped in its pip package; no browser download).

    Per module, not per session: while the sync API is open, its event loop counts as running
    in the main thread, and the other tests' `asyncio.run` (TestClient, SSE tests) would fail.
    """
    with sync_playwright() as driver:
        yield driver


def start_server(folder: Path, *, history_days: int = 0, **options: object) -> ServerProcess:
    """A started server with `history_days` of imported history; options as for make_server."""
    server = make_server(folder, **options)  # type: ignore[arg-type]
    if history_days:
        server.data_dir.mkdir(parents=True, exist_ok=True)
        import_history(
            server.config_path,
            folder,
            days=history_days,
            appliance_ids=[a["id"] for a in APPLIANCES],
        )
    server.start()
    return server


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """An open server (no key) with a few days of imported history."""
    server = start_server(tmp_path_factory.mktemp("dashboard"), history_days=HISTORY_DAYS)
    yield server
    assert server.stop() == 0, server.output()


@dataclass
class Recorded:
    """What one page did: every request URL, console errors and uncaught exceptions."""

    page: Page
    base_url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests to any origin but energymon's (data: URLs are not requests)."""
        ours = urlsplit(self.base_url).netloc
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != ours
        ]

    def assert_clean(self, *, allowed_errors: tuple[str, ...] = ()) -> None:
        """Nothing fetched from another host, nothing on the console but `allowed_errors`."""
        assert self.foreign_requests() == []
        unexpected = [e for e in self.errors if not any(a in e for a in allowed_errors)]
        assert unexpected == []


def record(page: Page, base_url: str) -> Recorded:
    """Start recording `page`'s requests and errors."""
    recorded = Recorded(page, base_url)
    page.on("request", lambda request: recorded.requests.append(request.url))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            recorded.errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: recorded.errors.append(f"uncaught: {error}"))
    page.set_default_timeout(TIMEOUT_MS)
    return recorded


@pytest.fixture
def browser(playwright: Playwright, chromium: str) -> Iterator[BrowserContext]:
    """A fresh browser (profile, cookies, cache) for one test, desktop size."""
    with launch(playwright, chromium, viewport={"width": 1280, "height": 900}) as context:
        yield context


@pytest.fixture
def dashboard(browser: BrowserContext, dashboard_server: ServerProcess) -> Recorded:
    """The dashboard of the open server, loaded, with its requests and errors recorded."""
    recorded = record(browser.new_page(), dashboard_server.base_url)
    recorded.page.goto(dashboard_server.base_url + "/")
    return recorded
