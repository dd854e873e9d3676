"""Session cookies: signed with a key derived from the API key, expiring, unforgeable."""

from __future__ import annotations

import pytest

from energymon.api.session import COOKIE_NAME, SessionCookies
from energymon.service.clock import ManualClock

KEY = b"the-api-key"


def test_issued_cookie_is_valid_until_it_expires() -> None:
    """A fresh cookie is accepted; one second past its lifetime it is not."""
    clock = ManualClock()
    sessions = SessionCookies(KEY, clock, lifetime_seconds=3600)
    cookie = sessions.issue()
    assert sessions.valid(cookie)
    clock.advance(3599)
    assert sessions.valid(cookie)
    clock.advance(2)
    assert not sessions.valid(cookie)


def test_another_key_signs_everyone_out() -> None:
    """A cookie issued for one key is refused once the key changes."""
    clock = ManualClock()
    cookie = SessionCookies(KEY, clock).issue()
    assert not SessionCookies(b"a-new-key", clock).valid(cookie)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: "9" + c,  # a later expiry
        lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),  # another MAC
        lambda c: c.rpartition(".")[0],  # no MAC
        lambda c: "",
        lambda c: "x.y.z",
    ],
)
def test_altered_cookies_are_refused(tamper: object) -> None:
    """Changing any part of the cookie, or sending junk, is refused."""
    sessions = SessionCookies(KEY, ManualClock())
    assert not sessions.valid(tamper(sessions.issue()))  # type: ignore[operator]


def test_cookie_holds_no_key_and_two_sessions_differ() -> None:
    """The cookie value never contains the key, and each sign-in gets its own value."""
    sessions = SessionCookies(KEY, ManualClock())
    first, second = sessions.issue(), sessions.issue()
    assert KEY.decode() not in first
    assert first != second


def test_set_cookie_attributes() -> None:
    """HttpOnly, SameSite=Strict, Path=/, Max-Age; Secure only when asked (HTTPS)."""
    sessions = SessionCookies(KEY, ManualClock(), lifetime_seconds=60)
    plain = sessions.set_cookie(secure=False)
    assert plain.startswith(f"{COOKIE_NAME}=")
    assert {"Path=/", "Max-Age=60", "HttpOnly", "SameSite=Strict"} <= set(plain.split("; "))
    assert "Secure" not in plain.split("; ")
    assert "Secure" in sessions.set_cookie(secure=True).split("; ")
    assert "Max-Age=0" in SessionCookies.clear_cookie(secure=False)


def test_cookie_is_found_among_others_in_the_header() -> None:
    """valid_in reads the session from a Cookie header with other cookies around it."""
    sessions = SessionCookies(KEY, ManualClock())
    header = f"theme=dark; {COOKIE_NAME}={sessions.issue()}; other=1"
    assert sessions.valid_in(header)
    assert not sessions.valid_in("theme=dark")
    assert not sessions.valid_in(None)
