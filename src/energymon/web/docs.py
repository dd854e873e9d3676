"""/docs (Swagger UI) and /redoc (ReDoc) from vendored files: the API docs work offline.

FastAPI's own pages load both from a CDN and ReDoc's fonts from Google, so on a Pi without
internet they are blank. These are FastAPI's pages with the scripts pointed at
static/vendor/ (see its VERSION files and scripts/refresh-vendor.sh), Google fonts off, and
Swagger UI's online validator off (it would send the schema to validator.swagger.io).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from fastapi import APIRouter
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.responses import HTMLResponse

from energymon.web.assets import DOCS_HEADERS, STATIC_PREFIX

__all__ = ["DOCS_PATHS", "docs_router"]

SWAGGER_PATH, SWAGGER_REDIRECT_PATH, REDOC_PATH = "/docs", "/docs/oauth2-redirect", "/redoc"
DOCS_PATHS = frozenset({SWAGGER_PATH, SWAGGER_REDIRECT_PATH, REDOC_PATH})
_VENDOR = f"{STATIC_PREFIX}/vendor"
_FAVICON = f"{STATIC_PREFIX}/favicon.svg"


def docs_router(openapi_url: str, title: str) -> APIRouter:
    """The routes of both docs pages for the schema at `openapi_url`."""
    pages: dict[str, Callable[[], HTMLResponse]] = {
        SWAGGER_PATH: partial(
            get_swagger_ui_html,
            openapi_url=openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{_VENDOR}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{_VENDOR}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=_FAVICON,
            oauth2_redirect_url=SWAGGER_REDIRECT_PATH,
            swagger_ui_parameters={"validatorUrl": None},
        ),
        SWAGGER_REDIRECT_PATH: get_swagger_ui_oauth2_redirect_html,
        REDOC_PATH: partial(
            get_redoc_html,
            openapi_url=openapi_url,
            title=f"{title} - ReDoc",
            redoc_js_url=f"{_VENDOR}/redoc/redoc.standalone.js",
            redoc_favicon_url=_FAVICON,
            with_google_fonts=False,
        ),
    }
    router = APIRouter(include_in_schema=False)
    for path, render in pages.items():
        router.add_api_route(path, _with_headers(render), methods=["GET"])
    return router


def _with_headers(render: Callable[[], HTMLResponse]) -> Callable[[], Awaitable[HTMLResponse]]:
    async def page() -> HTMLResponse:
        response = render()
        response.headers.update(DOCS_HEADERS)
        return response

    return page
