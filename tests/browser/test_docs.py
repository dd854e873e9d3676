"""/docs and /redoc render from the package alone: a Pi without internet still has API docs."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import record
from tests.e2e.support import ServerProcess


def test_swagger_ui_renders_offline(
    browser: BrowserContext, dashboard_server: ServerProcess
) -> None:
    """Swagger UI lists the API's operations, fetched from energymon only."""
    recorded = record(browser.new_page(), dashboard_server.base_url)
    recorded.page.goto(dashboard_server.base_url + "/docs")
    expect(recorded.page.locator(".swagger-ui .info .title")).to_contain_text("energymon")
    expect(recorded.page.locator(".opblock-summary-path").first).to_be_visible()
    assert any(path.endswith("/openapi.json") for path in recorded.requests)
    recorded.assert_clean()


def test_redoc_renders_offline(browser: BrowserContext, dashboard_server: ServerProcess) -> None:
    """ReDoc shows the API's title and operations, fetched from energymon only (its sidebar
    logo, which ReDoc would load from its CDN, is patched out of the vendored bundle)."""
    recorded = record(browser.new_page(), dashboard_server.base_url)
    recorded.page.goto(dashboard_server.base_url + "/redoc")
    expect(recorded.page.locator("h1").first).to_contain_text("energymon")
    expect(recorded.page.get_by_text("/energy/summary").first).to_be_attached()
    recorded.assert_clean()
