"""The optional API key: where it comes from, how a request proves it, and when to warn."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from energymon.errors import ConfigError
from energymon.settings import Settings

__all__ = [
    "API_KEY_HEADER",
    "ApiKeyGuard",
    "is_loopback",
    "load_api_key",
    "warn_if_open",
]

log = structlog.get_logger("energymon.security")

API_KEY_HEADER = "X-API-Key"
UNAUTHORIZED_DETAIL = f"missing or invalid API key (send it in the {API_KEY_HEADER} header)"

# auto_error=False: a missing key is our 401 with our message, not FastAPI's 403.
_header_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, scheme_name="APIKey")
# Prometheus scrape configs (and Home Assistant's REST sensor) set `Authorization: Bearer ...`
# more easily than a custom header, so the same key is accepted there too.
_bearer_scheme = HTTPBearer(auto_error=False, scheme_name="Bearer")


def load_api_key(settings: Settings) -> bytes | None:
    """The configured key: $ENERGYMON_API_KEY, else server.api_key_file, else None (open API)."""
    if settings.api_key is not None:
        key = settings.api_key.get_secret_value().strip()
        if not key:
            raise ConfigError("ENERGYMON_API_KEY is set but empty; unset it or give a key")
        return key.encode()
    path = settings.server.api_key_file
    if path is None:
        return None
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"server.api_key_file {path}: cannot read: {reason}") from exc
    if not key:
        raise ConfigError(f"server.api_key_file {path}: the file is empty")
    return key.encode()


class ApiKeyGuard:
    """A dependency that rejects requests without the key with 401; a no-op without a key."""

    def __init__(self, key: bytes | None) -> None:
        self._key = key

    @property
    def enabled(self) -> bool:
        """Whether requests must carry the key."""
        return self._key is not None

    def __call__(
        self,
        header_key: Annotated[str | None, Depends(_header_scheme)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
    ) -> None:
        """Check the X-API-Key header (or a bearer token) in constant time."""
        if self._key is None:
            return
        offered = header_key
        if offered is None and bearer is not None:
            offered = bearer.credentials
        # Headers arrive as latin-1 text: encoding back yields the bytes the client sent.
        if offered is not None and hmac.compare_digest(offered.encode("latin-1"), self._key):
            return
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail=UNAUTHORIZED_DETAIL,
            headers={"WWW-Authenticate": "Bearer"},
        )


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
