"""The browser's side of energymon, installed into the API app by the composition root."""

from __future__ import annotations

from fastapi import FastAPI

from energymon.api.security import Credentials
from energymon.web.assets import STATIC_PREFIX, StaticAssets
from energymon.web.docs import DOCS_PATHS, docs_router
from energymon.web.pages import PAGE_PATHS, pages_router
from energymon.web.snapshot import Snapshot
from energymon.web.throttle import SignInThrottle

__all__ = ["Site"]


class Site:
    """The dashboard, sign-in, offline API docs and their static files.

    Its paths are open without the key: the pages hold no data (their scripts fetch it with the
    session cookie), the sign-in page must be reachable to sign in, and the docs and static
    files are the same for everyone.
    """

    def __init__(
        self, credentials: Credentials | None, throttle: SignInThrottle, snapshot: Snapshot
    ) -> None:
        self.public_paths = PAGE_PATHS | DOCS_PATHS
        self.public_prefixes: tuple[str, ...] = (f"{STATIC_PREFIX}/",)
        self._credentials = credentials
        self._throttle = throttle
        self._snapshot = snapshot

    def install(self, app: FastAPI) -> None:
        """Add the pages, the docs for `app`'s schema and the static files to `app`."""
        app.include_router(pages_router(self._credentials, self._throttle, self._snapshot))
        app.include_router(docs_router(app.openapi_url or "/openapi.json", app.title))
        app.mount(STATIC_PREFIX, StaticAssets(), name="static")
