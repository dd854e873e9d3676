"""`make screenshots`: the dashboard on a phone and a desktop, light and dark, as PNGs.

Runs the real `energymon serve` on the default configuration's simulated appliances
(config/energymon.toml) with two weeks of imported history (so the bars and the chart have
something to show), waits until the page shows live values and both
charts, and saves docs/screenshots/{phone,desktop}-{light,dark}.png for the README.
Usage: python -m tests.browser.screenshots [FOLDER]
"""

from __future__ import annotations

import sys
import tempfile
import tomllib
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.browser.history import import_history
from tests.e2e.support import ServerProcess, config_mapping, free_port, write_config
from tests.support.chromium import chromium_path, launch

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "energymon.toml"

HISTORY_DAYS = 14
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SCHEMES = ("light", "dark")
WAIT_MS = 20_000


def main(argv: list[str]) -> int:
    """Save the four screenshots into argv[0] (default docs/screenshots); 1 without Chromium."""
    folder = Path(argv[0] if argv else "docs/screenshots")
    chromium = chromium_path()
    if chromium is None:
        print("screenshots: needs Debian's chromium: sudo apt-get install chromium")
        return 1
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="energymon-screenshots-") as tmp:
        server = _default_appliances_server(Path(tmp))
        ids = [a["id"] for a in tomllib.loads(DEFAULT_CONFIG.read_text())["appliances"]]
        import_history(server.config_path, Path(tmp), days=HISTORY_DAYS, appliance_ids=ids)
        server.start()
        try:
            with sync_playwright() as playwright:
                for size, viewport in SIZES.items():
                    for scheme in SCHEMES:
                        path = folder / f"{size}-{scheme}.png"
                        with launch(
                            playwright, chromium, viewport=viewport, color_scheme=scheme
                        ) as browser:
                            page = browser.new_page()
                            page.goto(server.base_url + "/")
                            for chart in ("#history-chart", "#daily-chart"):
                                expect(page.locator(chart)).to_have_attribute(
                                    "data-state", "drawn", timeout=WAIT_MS
                                )
                            expect(page.locator("#connection")).to_have_text("Live")
                            page.screenshot(path=path, full_page=True)
                        print(f"screenshots: {path}")
        finally:
            server.stop()
    return 0


def _default_appliances_server(folder: Path) -> ServerProcess:
    """A not yet started server with the default configuration's appliances, data in folder."""
    mapping = config_mapping(folder / "data")
    mapping["appliances"] = tomllib.loads(DEFAULT_CONFIG.read_text())["appliances"]
    config = write_config(folder / "energymon.toml", mapping)
    (folder / "data").mkdir()
    return ServerProcess(config, folder / "data", free_port(), folder / "server.log")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
