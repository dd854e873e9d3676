"""The dashboard at `/` in Debian's Chromium against a real `energymon serve`: live cards, the
energy figures against the API, the history chart in every range, and nothing fetched from
another host."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import HISTORY_DAYS, Recorded, record
from tests.e2e.support import APPLIANCES, ServerProcess

PERIODS = ("day", "week", "month")
RANGES_DAYS = (1, 7, 30, 365)
NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")


def _cell_kwh(text: str) -> float:
    return float(text.replace(",", ""))


def test_cards_show_live_values_that_change(dashboard: Recorded) -> None:
    """Each appliance has a card whose reading (watts, volts, amps, status) keeps arriving."""
    page = dashboard.page
    cards = page.locator(".card")
    expect(cards).to_have_count(len(APPLIANCES))
    first = cards.first
    expect(first).to_have_attribute("data-status", "ok")
    seen = first.get_attribute("data-timestamp")
    expect(first).not_to_have_attribute("data-timestamp", seen or "")
    for card in cards.all():
        expect(card.locator(".value")).to_have_text(NUMBER)
        expect(card.locator(".volts")).to_contain_text(" V")
        expect(card.locator(".amps")).to_contain_text(" A")
        expect(card.locator(".badge")).to_have_text("✓ OK")
    expect(page.locator("#connection")).to_have_text("Live")
    dashboard.assert_clean()


def test_energy_figures_equal_the_api(
    browser: BrowserContext, dashboard_server: ServerProcess
) -> None:
    """Today, week and month per appliance and in total lie between the API's answers just
    before and just after the page asked (energy never decreases); past days equal exactly."""
    recorded = record(browser.new_page(), dashboard_server.base_url)
    rows = [*(a["id"] for a in APPLIANCES), None]
    with dashboard_server.client() as api:

        def summaries() -> dict[tuple[int | None, str], dict[str, float]]:
            answers = {}
            for appliance in rows:
                for period in PERIODS:
                    params = {"period": period}
                    if appliance is not None:
                        params["applianceId"] = str(appliance)
                    answers[appliance, period] = api.get("/energy/summary", params=params).json()
            return answers

        before = summaries()
        recorded.page.goto(dashboard_server.base_url + "/")
        body = recorded.page.locator("#energy tbody tr")
        expect(body).to_have_count(len(rows))
        expect(recorded.page.locator("#daily-table tbody tr")).not_to_have_count(0)
        after = summaries()
        daily = api.get("/logs/historical-data", params={"days": 30}).json()["daily_stats"]

    for appliance in rows:
        row = recorded.page.locator(f'#energy tbody tr[data-appliance-id="{appliance or "total"}"]')
        cells = row.locator("td")
        for index, period in enumerate(PERIODS):
            cell = cells.nth(index)
            shown = float(cell.get_attribute("data-kwh") or "nan")
            low, high = before[appliance, period], after[appliance, period]
            assert low["energy_kwh"] <= shown <= high["energy_kwh"], (appliance, period)
            assert _cell_kwh(cell.locator(".kwh").inner_text()) == pytest.approx(shown, abs=5e-4)
            assert low["cost"] <= float(cell.get_attribute("data-cost") or "nan") <= high["cost"]
    # Days before today hold imported history only: fixed figures, shown as the API has them.
    past = [day for day in daily if day["date"] < daily[-1]["date"]]
    assert len(past) == HISTORY_DAYS
    table = recorded.page.locator("#daily-table tbody tr")
    shown_days = {
        row.locator("th").text_content(): row.locator("td").first.text_content()
        for row in table.all()
    }
    assert len(shown_days) == len(daily)
    for day in past:
        assert f"{day['energy_wh'] / 1000:,.3f} kWh" in shown_days.values()
    expect(recorded.page.locator("#daily-chart")).to_have_attribute("data-state", "drawn")
    recorded.assert_clean()


def test_history_chart_draws_every_range_with_hover_and_zoom(dashboard: Recorded) -> None:
    """1 d, 7 d, 30 d and 1 y each draw the readings of their range; hovering shows watts and
    a local time; dragging zooms in and "Zoom out" appears."""
    page = dashboard.page
    chart = page.locator("#history-chart")
    now = time.time()
    for days in RANGES_DAYS:
        page.get_by_role("button", name=f"{days} d" if days < 365 else "1 y").click()
        expect(chart).to_have_attribute("data-range", str(days))
        expect(chart).to_have_attribute("data-state", "drawn")
        assert int(chart.get_attribute("data-points") or 0) > 0
        first = float(chart.get_attribute("data-from") or "nan")
        # The last `days` × 24 hours, as far back as the imported days reach.
        assert now - days * 86400 - 60 <= first <= now - min(days, HISTORY_DAYS) * 86400 + 3600
        assert _painted_pixels(page) > 1000

    box = chart.locator("canvas").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    legend = chart.locator(".u-legend")
    expect(legend).to_contain_text(" W")
    expect(legend.locator(".u-value").first).to_contain_text(":")  # a time of day
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    expect(page.locator("#zoom-reset")).to_be_visible()
    page.locator("#zoom-reset").click()
    expect(page.locator("#zoom-reset")).to_be_hidden()
    dashboard.assert_clean()


def _painted_pixels(page: Page) -> int:
    """Non-transparent pixels on the history chart's canvas (lines and grid)."""
    return int(
        page.evaluate(
            """() => {
                const canvas = document.querySelector('#history-chart canvas');
                const context = canvas.getContext('2d');
                const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
                let painted = 0;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
                return painted;
            }"""
        )
    )


def test_links_and_health_banner(dashboard: Recorded, dashboard_server: ServerProcess) -> None:
    """The footer links the two log downloads, the docs and the metrics; a healthy service
    shows no banner."""
    page = dashboard.page
    hrefs = page.locator("footer a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["/logs/download/energy-monitor", "/logs/download/api", "/docs", "/metrics"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Energy log (CSV)").click()
    assert download.value.suggested_filename == "energy_monitor.log"
    expect(page.locator("#health")).to_be_hidden()
    dashboard.assert_clean()


def test_page_fits_a_phone_in_dark_mode(
    browser: BrowserContext, dashboard_server: ServerProcess
) -> None:
    """At 360 px nothing is wider than the screen, and dark mode paints a dark page."""
    page = browser.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    page.emulate_media(color_scheme="dark")
    recorded = record(page, dashboard_server.base_url)
    page.goto(dashboard_server.base_url + "/")
    expect(page.locator("#history-chart")).to_have_attribute("data-state", "drawn")
    expect(page.locator("#daily-chart")).to_have_attribute("data-state", "drawn")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 20, 25)"
    recorded.assert_clean()


def test_head_and_stream_reconnect(
    browser: BrowserContext, dashboard_server: ServerProcess
) -> None:
    """HEAD / answers 200; when the server restarts, the page says so and goes live again."""
    assert httpx.head(dashboard_server.base_url + "/").status_code == 200
    recorded = record(browser.new_page(), dashboard_server.base_url)
    page = recorded.page
    page.goto(dashboard_server.base_url + "/")
    connection = page.locator("#connection")
    expect(connection).to_have_text("Live")
    assert dashboard_server.stop() == 0
    expect(connection).not_to_have_text("Live")
    dashboard_server.start()
    expect(connection).to_have_text("Live", timeout=30_000)
    card = page.locator(".card").first
    seen = card.get_attribute("data-timestamp")
    expect(card).not_to_have_attribute("data-timestamp", seen or "")
    # While the server was down the browser logged failed connections; nothing else.
    recorded.assert_clean(allowed_errors=("net::ERR_CONNECTION_REFUSED", "Failed to load"))
