"""The optional API key: how a request proves it, and when to warn (bootstrap loads it)."""

from __future__ import annotations

import hmac
import ipaddress

import structlog
from starlette.responses import JSONResponse
from starlette.status import HTTP_401_UNAUTHORIZED
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "API_KEY_HEADER",
    "ApiKeyMiddleware",
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


class ApiKeyMiddleware:
    """Rejects HTTP requests without the key with a JSON 401, except on the public paths.

    A pure ASGI middleware rather than a FastAPI dependency: it runs once per request at the cost
    of a function call (a dependency costs a resolution per route on the busiest path), and it
    covers every route, present and future, so none can be added unprotected by mistake. It sits
    inside CORS, so preflights pass and a browser can read the 401.
    """

    def __init__(self, app: ASGIApp, key: bytes, public_paths: frozenset[str]) -> None:
        self.app = app
        self._key = key
        self._public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on when it carries the key (or needs none); else answer 401."""
        if scope["type"] != "http" or scope["path"] in self._public_paths:
            await self.app(scope, receive, send)
            return
        if self._offered_key_matches(scope["headers"]):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"detail": UNAUTHORIZED_DETAIL},
            status_code=HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)

    def _offered_key_matches(self, headers: list[tuple[bytes, bytes]]) -> bool:
        offered: bytes | None = None
        for name, value in headers:
            if name == _HEADER_NAME:
                offered = value
                break
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                offered = value[7:].strip()
        # Headers are compared as the bytes the client sent, in constant time.
        return offered is not None and hmac.compare_digest(offered, self._key)


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
