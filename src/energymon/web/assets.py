"""The files under static/: served from the package as they are, and the HTML pages' headers.

Everything a browser loads (the dashboard's HTML, CSS and scripts, uPlot, Swagger UI, ReDoc)
ships in the wheel as package data, so the page works on a Pi that never reaches the
internet. There is no build step: the files are served as written.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["DOCS_HEADERS", "PAGE_HEADERS", "STATIC_DIR", "STATIC_PREFIX", "StaticAssets", "read"]

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"

# The dashboard's own pages load scripts, styles and data from energymon alone; the browser
# refuses anything else (and a page cannot be framed by another site).
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI and ReDoc pages start their bundles with an inline script, and ReDoc
# styles itself inline and searches in a blob: worker; still nothing from another host.
_DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; font-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidated on each load (a 304 on the LAN costs little), so an upgrade shows at once.
    "Cache-Control": "no-cache",
}
PAGE_HEADERS = {**_COMMON, "Content-Security-Policy": _PAGE_POLICY}
DOCS_HEADERS = {**_COMMON, "Content-Security-Policy": _DOCS_POLICY}


def read(name: str) -> str:
    """A text file under static/ (the HTML templates), read once at start."""
    return (STATIC_DIR / name).read_text(encoding="utf-8")


class StaticAssets(StaticFiles):
    """Starlette's static files (ETag, Last-Modified, 304s, no path escapes) with our headers."""

    def __init__(self) -> None:
        super().__init__(directory=STATIC_DIR)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """The file, revalidated on every load and never sniffed as another type."""
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(_COMMON)
        return response
