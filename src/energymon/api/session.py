"""Browser sessions: a signed, expiring cookie that stands in for the API key.

A browser cannot send the `X-API-Key` header on a page load, an `EventSource` or a download
link, so the sign-in page takes the key once and answers with this cookie instead. It holds no
secret and no state on the server: `<expires>.<nonce>.<mac>`, where the MAC is HMAC-SHA256
over `<expires>.<nonce>` with a key derived from the API key. So:

- a cookie cannot be forged or have its expiry moved without the API key;
- changing the API key changes the MAC key and signs every browser out at once;
- nothing needs storing, so a restart keeps everyone signed in.

Signing out clears the cookie in that browser; a copied cookie stays valid until it expires
(there is no server-side list to revoke it from: change the key to end every session).
The expiry is wall-clock time, so a Pi whose clock NTP steps at boot may shorten or lengthen
a session by the size of the step.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.requests import cookie_parser

from energymon.service.clock import Clock

__all__ = ["COOKIE_NAME", "SESSION_SECONDS", "SessionCookies"]

COOKIE_NAME = "energymon_session"
# A month: a phone on the home LAN should not ask for the key every day; the key itself is the
# way to end every session early.
SESSION_SECONDS = 30 * 24 * 3600
_KEY_LABEL = b"energymon browser session v1"  # separates this MAC key from any other use of it
_NONCE_BYTES = 12


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class SessionCookies:
    """Issues and checks session cookies for one API key."""

    def __init__(
        self, api_key: bytes, clock: Clock, *, lifetime_seconds: int = SESSION_SECONDS
    ) -> None:
        self._mac_key = hmac.new(api_key, _KEY_LABEL, hashlib.sha256).digest()
        self._clock = clock
        self.lifetime_seconds = lifetime_seconds

    def issue(self) -> str:
        """A new cookie value, valid for `lifetime_seconds` from now."""
        expires = int(self._clock.time()) + self.lifetime_seconds
        payload = f"{expires}.{secrets.token_urlsafe(_NONCE_BYTES)}"
        return f"{payload}.{_mac(self._mac_key, payload)}"

    def valid(self, value: str | None) -> bool:
        """Whether `value` was issued for this key and has not expired."""
        if not value:
            return False
        payload, _, mac = value.rpartition(".")
        expires, _, _ = payload.partition(".")
        if not expires.isdigit():
            return False
        # Compared in constant time: a timing difference must not reveal a valid MAC bit by bit.
        if not hmac.compare_digest(mac.encode(), _mac(self._mac_key, payload).encode()):
            return False
        return int(expires) > self._clock.time()

    def valid_in(self, cookie_header: str | None) -> bool:
        """Whether a `Cookie:` header carries a valid session."""
        if not cookie_header:
            return False
        return self.valid(cookie_parser(cookie_header).get(COOKIE_NAME))

    def set_cookie(self, *, secure: bool) -> str:
        """A `Set-Cookie` value starting a new session."""
        return _cookie(self.issue(), self.lifetime_seconds, secure=secure)

    @staticmethod
    def clear_cookie(*, secure: bool) -> str:
        """A `Set-Cookie` value that ends the session in this browser."""
        return _cookie("", 0, secure=secure)


def _cookie(value: str, max_age_seconds: int, *, secure: bool) -> str:
    """HttpOnly (no script can read it), SameSite=Strict (no other site's page or link sends
    it, which also stops cross-site request forgery), Path=/ (the page, stream and downloads);
    Secure when the page came over HTTPS, so it never travels in the clear afterwards."""
    attributes = [
        f"{COOKIE_NAME}={value}",
        "Path=/",
        f"Max-Age={max_age_seconds}",
        "HttpOnly",
        "SameSite=Strict",
    ]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)
