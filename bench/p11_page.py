"""P11: the dashboard in Debian's Chromium: page weight, first paint and first live value on a
Pi-class CPU, and what 20 open pages cost the sampler.

A real `energymon serve` (default sampling: 1 s readings of 20 Hz samples) serves the page.
Page weight: the gzip-encoded bytes of the document, its scripts and style sheets (uPlot
included), from the browser's Resource Timing after a cold load; the JSON the page then asks
for is shown beside it (it grows with the history, 2,000 points per appliance at most). First
paint and first live value: Chromium's CPU slowed 4x (CDP Emulation.setCPUThrottlingRate, about
a Raspberry Pi 4 against this machine), a fresh profile each run; first-contentful-paint, and
the page's own `first-live-value` mark, set when the first card shows a watt figure. 20 pages:
20 pages of the dashboard, each in a context of its own (like 20 phones) holding the event
stream, with Chromium under SCHED_IDLE so its rendering does not take the service's CPU; the
figure is how many sampling periods the service's samplers missed in a window (/health
`samplers[].missed_periods`, before and after), beside the same window with no page open, which
shows what the machine's other work costs alone.

Without Chromium (`sudo apt-get install chromium`) or Playwright the figures are n/a.
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from bench.context import Context
from bench.report import Figure, Target
from bench.server import Server, start_server

WEIGHT_TARGET = Target("<=", 150, "kB")
PAINT_TARGET = Target("<=", 1.0, "s")
MISSED_TARGET = Target("<=", 0, "")
CPU_SLOWDOWN = 4
PAGES = 20
WAIT_MS = 30_000
# Kept in step with tests/support/chromium.py (bench does not import the tests).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_WEIGHTS = """() => {
    const entries = [...performance.getEntriesByType('navigation'),
                     ...performance.getEntriesByType('resource')];
    const bytes = (keep) => entries.filter(keep).reduce((sum, e) => sum + e.encodedBodySize, 0);
    const asset = (e) => e.initiatorType !== 'fetch' && e.initiatorType !== 'xmlhttprequest';
    return {assets: bytes(asset), data: bytes((e) => !asset(e))};
}"""
_TIMINGS = """() => ({
    paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
    live: performance.getEntriesByName('first-live-value')[0]?.startTime ?? NaN,
})"""


def _unavailable(reason: str) -> list[Figure]:
    nan = float("nan")
    return [
        Figure("P11", "page weight, gzip (HTML, CSS, JS)", nan, "kB", WEIGHT_TARGET, reason),
        Figure("P11", "first paint, CPU 4x slower, median", nan, "s", PAINT_TARGET, reason),
        Figure("P11", "first live value, CPU 4x slower, median", nan, "s", PAINT_TARGET, reason),
        Figure(
            "P11", f"missed sampler periods, {PAGES} pages open", nan, "", MISSED_TARGET, reason
        ),
        Figure("P11", "missed sampler periods, no page open", nan, "", note=reason),
    ]


def _missed_periods(server: Server) -> int:
    health = httpx.get(server.url("/health"), timeout=10).json()
    return sum(int(sampler["missed_periods"]) for sampler in health["samplers"])


def _browser(playwright: Any, chromium: str, profile: str) -> Any:
    return playwright.chromium.launch_persistent_context(
        profile, executable_path=chromium, headless=True, args=CHROMIUM_ARGS
    )


# Waits go through locators: the page's Content-Security-Policy forbids the eval() that
# string predicates of wait_for_function need.
def _wait_loaded(page: Any) -> None:
    for chart in ("#history-chart", "#daily-chart"):
        page.locator(f'{chart}[data-state="drawn"]').wait_for(timeout=WAIT_MS)


def _weights(playwright: Any, chromium: str, server: Server, scratch: Any) -> dict[str, float]:
    browser = _browser(playwright, chromium, str(scratch / "weight-profile"))
    try:
        page = browser.new_page()
        page.goto(server.url("/"))
        _wait_loaded(page)
        return dict(page.evaluate(_WEIGHTS))
    finally:
        browser.close()


def _cold_load(playwright: Any, chromium: str, server: Server, profile: str) -> dict[str, float]:
    browser = _browser(playwright, chromium, profile)
    try:
        page = browser.new_page()
        cdp = browser.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(server.url("/"))
        page.locator(".card[data-timestamp]").first.wait_for(timeout=WAIT_MS)
        return dict(page.evaluate(_TIMINGS))
    finally:
        browser.close()


def _idle(chromium: str, folder: Path) -> str:
    """A wrapper that starts Chromium under SCHED_IDLE (`chrt --idle`): the 20 pages stand for
    20 phones, whose CPUs are not the Pi's; sharing this machine's two cores at equal priority,
    their rendering would be measured instead of what the streams cost the service. Not `nice`:
    Chromium run as root sets its processes' nice values back (to -8 for the browser)."""
    wrapper = folder / "chromium-idle"
    wrapper.write_text(f'#!/bin/sh\nexec chrt --idle 0 "{chromium}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def _open_pages(playwright: Any, chromium: str, server: Server, seconds: float) -> tuple[int, int]:
    """(missed periods during the window, pages whose stream still delivered at its end).

    Each page gets a context of its own, like 20 phones: tabs of one profile would share its
    six HTTP/1.1 connections to the host, and six open streams would leave none to load a
    seventh page.
    """
    browser = playwright.chromium.launch(
        executable_path=chromium, headless=True, args=CHROMIUM_ARGS
    )
    try:
        pages = []
        for _ in range(PAGES):
            page = browser.new_context().new_page()
            page.goto(server.url("/"))
            pages.append(page)
        for page in pages:  # loaded and drawn: the window measures the streams alone
            page.locator('#connection[data-state="live"]').wait_for(timeout=WAIT_MS)
            _wait_loaded(page)
        stamps = [page.locator(".card").first.get_attribute("data-timestamp") for page in pages]
        missed = _missed_during(server, seconds)
        live = sum(
            page.locator(".card").first.get_attribute("data-timestamp") != stamp
            for page, stamp in zip(pages, stamps, strict=True)
        )
        return missed, live
    finally:
        browser.close()


def _missed_during(server: Server, seconds: float) -> int:
    """Sampling periods the service missed in a window of `seconds`."""
    before = _missed_periods(server)
    time.sleep(seconds)  # the measurement window: the samplers run while the streams are open
    return _missed_periods(server) - before


def run(ctx: Context) -> list[Figure]:
    """Weight, throttled first paint and first live value, then 20 open pages."""
    chromium = shutil.which("chromium")
    if chromium is None:
        return _unavailable("chromium not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return _unavailable("playwright not installed")
    runs, window = (1, 5.0) if ctx.smoke else (5, 60.0)
    folder = ctx.scratch("p11")
    server = start_server(folder)
    try:
        server.wait_first_reading()
        with sync_playwright() as playwright:
            weights = _weights(playwright, chromium, server, folder)
            loads = [
                _cold_load(playwright, chromium, server, str(folder / f"cold-{n}"))
                for n in range(runs)
            ]
            baseline = _missed_during(server, window)
            idle = _idle(chromium, folder)
            missed, live = _open_pages(playwright, idle, server, window)
    finally:
        server.stop()
    paints = [load["paint"] / 1000 for load in loads]
    lives = [load["live"] / 1000 for load in loads]
    return [
        Figure(
            "P11",
            "page weight, gzip (HTML, CSS, JS)",
            weights["assets"] / 1000,
            "kB",
            WEIGHT_TARGET,
            f"then {weights['data'] / 1000:.0f} kB of JSON for a fresh service's data",
        ),
        Figure(
            "P11",
            "first paint, CPU 4x slower, median",
            statistics.median(paints),
            "s",
            PAINT_TARGET,
            "runs: " + ", ".join(f"{s:.2f}" for s in paints),
        ),
        Figure(
            "P11",
            "first live value, CPU 4x slower, median",
            statistics.median(lives),
            "s",
            PAINT_TARGET,
            "runs: " + ", ".join(f"{s:.2f}" for s in lives),
        ),
        Figure(
            "P11",
            f"missed sampler periods, {PAGES} pages open",
            missed,
            "",
            MISSED_TARGET,
            f"{window:.0f} s window at 20 Hz; {live} of {PAGES} streams delivered to its end;"
            " Chromium at SCHED_IDLE",
        ),
        Figure(
            "P11",
            "missed sampler periods, no page open",
            baseline,
            "",
            note="the same window before the pages opened: this machine's own noise",
        ),
    ]
