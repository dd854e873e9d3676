"""Browser sign-in with an API key: the key once, then a session cookie for the page, the
stream and the downloads; sign-out; wrong keys said so, and rate-limited."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import record
from tests.e2e.support import API_KEY, ServerProcess, make_keyed_server

# Chromium logs a document answered with an error status (a wrong key's 401, the 429).
REFUSED = ("status of 401", "status of 429")


def _sign_in(page: Page, key: str) -> None:
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_gives_the_page_stream_and_downloads_then_sign_out_ends_it(
    browser: BrowserContext, keyed_server: ServerProcess
) -> None:
    """The page sends a stranger to sign in; the key opens the page with live values and
    downloads through an HttpOnly, SameSite=Strict cookie; signing out closes it again."""
    base = keyed_server.base_url
    recorded = record(browser.new_page(), base)
    page = recorded.page
    page.goto(base + "/")
    expect(page).to_have_url(base + "/sign-in")

    _sign_in(page, API_KEY)
    expect(page).to_have_url(base + "/")
    card = page.locator(".card").first
    expect(card).to_have_attribute("data-status", "ok")
    seen = card.get_attribute("data-timestamp")
    expect(card).not_to_have_attribute("data-timestamp", seen or "")  # the stream flows
    expect(page.locator("#energy tbody tr")).to_have_count(4)

    (cookie,) = browser.cookies()
    assert cookie["name"] == "energymon_session"
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # plain HTTP here; Secure over HTTPS (unit-tested)
    assert API_KEY not in cookie["value"]
    with page.expect_download() as download:
        page.get_by_role("link", name="API access log").click()
    assert download.value.suggested_filename == "api_access.log"
    assert page.request.get(base + "/metrics").status == 200

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(base + "/sign-in")
    assert browser.cookies() == []
    assert page.request.get(base + "/energy").status == 401
    page.goto(base + "/")
    expect(page).to_have_url(base + "/sign-in")

    assert not any(API_KEY in url for url in recorded.requests)
    _key_never_logged(keyed_server)
    recorded.assert_clean()


def _key_never_logged(server: ServerProcess) -> None:
    access_log = server.data_dir / "logs" / "api_access.log"
    assert "POST /sign-in" in access_log.read_text(encoding="utf-8")
    assert API_KEY not in access_log.read_text(encoding="utf-8")
    assert API_KEY not in server.output()


def test_wrong_key_is_said_and_never_shown_back(
    browser: BrowserContext, keyed_server: ServerProcess
) -> None:
    """A wrong key gets "Wrong key" on the sign-in page, which does not repeat what was typed."""
    recorded = record(browser.new_page(), keyed_server.base_url)
    page = recorded.page
    page.goto(keyed_server.base_url + "/sign-in")
    wrong = "not-the-key-" + uuid.uuid4().hex
    _sign_in(page, wrong)
    expect(page.get_by_role("alert")).to_contain_text("Wrong key")
    assert wrong not in page.content()
    assert browser.cookies() == []
    recorded.assert_clean(allowed_errors=REFUSED)


def test_repeated_wrong_keys_are_rate_limited(browser: BrowserContext, tmp_path: Path) -> None:
    """After five wrong keys the sixth try, even with the right key, gets 429 and a wait."""
    server = make_keyed_server(tmp_path)
    try:
        recorded = record(browser.new_page(), server.base_url)
        page = recorded.page
        page.goto(server.base_url + "/sign-in")
        for attempt in range(5):
            _sign_in(page, f"wrong-{attempt}")
            expect(page.get_by_role("alert")).to_contain_text("Wrong key")
        with page.expect_response(server.base_url + "/sign-in") as answer:
            _sign_in(page, API_KEY)
        assert answer.value.status == 429
        assert 1 <= int(answer.value.headers["retry-after"]) <= 60
        expect(page.get_by_role("alert")).to_contain_text("Too many wrong keys")
        assert browser.cookies() == []
        recorded.assert_clean(allowed_errors=REFUSED)
    finally:
        assert server.stop() == 0, server.output()
