"""The optional API key: how a request proves it, and when to warn (bootstrap loads it).

A request proves it with the key in a header, or, from a browser, with the session cookie the
sign-in page gave it for the key (energymon.api.session).
"""

from __future__ import annotations

import hmac
import ipaddress

import structlog
from starlette.responses import JSONResponse
from starlette.status import HTTP_401_UNAUTHORIZED
from starlette.types import ASGIApp, Receive, Scope, Send

from energymon.api.session import SessionCookies

__all__ = [
    "API_KEY_HEADER",
    "ApiKeyMiddleware",
    "Credentials",
    "is_loopback",
    "security_schemes",
    "warn_if_open",
]

log = structlog.get_logger("energymon.security")

API_KEY_HEADER = "X-API-Key"
UNAUTHORIZED_DETAIL = f"missing or invalid API key (send it in the {API_KEY_HEADER} header)"

# ASGI header names arrive lower-cased. Prometheus scrape configs (and Home Assistant's REST
# sensor) set `Authorization: Bearer ...` more easily than a custom header, so the same key is
# accepted there too.
_HEADER_NAME = API_KEY_HEADER.lower().encode()


class Credentials:
    """The configured key and the browser sessions signed with it: what a request may show."""

    def __init__(self, key: bytes, sessions: SessionCookies) -> None:
        self.key = key
        self.sessions = sessions

    def key_matches(self, offered: bytes | None) -> bool:
        """Whether `offered` is the key; compared as bytes, in constant time."""
        return offered is not None and hmac.compare_digest(offered, self.key)

    def allow(self, headers: list[tuple[bytes, bytes]]) -> bool:
        """Whether ASGI request headers carry the key or a valid session cookie."""
        header_key: bytes | None = None
        bearer: bytes | None = None
        cookies: list[bytes] = []
        for name, value in headers:
            if name == _HEADER_NAME and header_key is None:
                header_key = value  # the first one counts, as it always did
            elif name == b"authorization" and value[:7].lower() == b"bearer ":
                bearer = value[7:].strip()
            elif name == b"cookie":
                cookies.append(value)
        offered = header_key if header_key is not None else bearer
        if offered is not None:  # a key that is shown must be right, cookie or not
            return self.key_matches(offered)
        # Browsers send one Cookie header (HTTP/2 may split it; the parts join with "; ").
        return self.sessions.valid_in(b"; ".join(cookies).decode("latin-1"))


class ApiKeyMiddleware:
    """Rejects HTTP requests without the key (or a session cookie) with a JSON 401, except on
    the public paths and under the public prefixes (the page's static files).

    A pure ASGI middleware rather than a FastAPI dependency: it runs once per request at the cost
    of a function call (a dependency costs a resolution per route on the busiest path), and it
    covers every route, present and future, so none can be added unprotected by mistake. It sits
    inside CORS, so preflights pass and a browser can read the 401.
    """

    def __init__(
        self,
        app: ASGIApp,
        credentials: Credentials,
        public_paths: frozenset[str],
        public_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self._credentials = credentials
        self._public_paths = public_paths
        self._public_prefixes = public_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on when it carries the key (or needs none); else answer 401."""
        if scope["type"] != "http" or self._is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self._credentials.allow(scope["headers"]):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"detail": UNAUTHORIZED_DETAIL},
            status_code=HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)

    def _is_public(self, path: str) -> bool:
        return path in self._public_paths or path.startswith(self._public_prefixes)


def security_schemes() -> dict[str, dict[str, str]]:
    """The OpenAPI security schemes the middleware accepts, for /docs' Authorize button."""
    return {
        "APIKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER},
        "Bearer": {"type": "http", "scheme": "bearer"},
    }


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the API on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: assume it resolves beyond loopback


def warn_if_open(host: str, key_configured: bool) -> None:
    """Log a warning when the API is reachable from the network without a key."""
    if not key_configured and not is_loopback(host):
        log.warning(
            "API open to the network without a key; set ENERGYMON_API_KEY or "
            "server.api_key_file to require one",
            host=host,
        )
