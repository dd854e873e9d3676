"""The dashboard at `/` and, when an API key is set, sign-in and sign-out.

The dashboard is one page, static but for the live snapshot in it (energymon.web.snapshot),
whose scripts fetch the JSON API and follow the event stream. With an API key, a browser
shows the key once at /sign-in and gets a session cookie (energymon.api.session) that the API
accepts in place of the header; the key travels only in that POST's body: never in a URL,
never back in a page, never in a log (the access log writes the request line, not the body).
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from energymon.api.security import Credentials
from energymon.api.session import SessionCookies
from energymon.web.assets import PAGE_HEADERS, read
from energymon.web.snapshot import Snapshot
from energymon.web.throttle import SignInThrottle

__all__ = ["PAGE_PATHS", "pages_router"]

DASHBOARD_PATH, SIGN_IN_PATH, SIGN_OUT_PATH = "/", "/sign-in", "/sign-out"
PAGE_PATHS = frozenset({DASHBOARD_PATH, SIGN_IN_PATH, SIGN_OUT_PATH})
MAX_FORM_BYTES = 4096  # a key and a little form encoding; anything longer is not a sign-in
_SIGN_OUT_FORM = (
    f'<form method="post" action="{SIGN_OUT_PATH}" class="sign-out">'
    '<button type="submit">Sign out</button></form>'
)
_MESSAGE_MARK, _SIGN_OUT_MARK = "<!--message-->", "<!--sign-out-->"
_SNAPSHOT_MARK = "<!--snapshot-->"


def _page(body: str, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return HTMLResponse(body, status_code, headers={**PAGE_HEADERS, **(headers or {})})


def _redirect(path: str, set_cookie: str | None = None) -> Response:
    # 303: after a form POST the browser follows with GET, so a reload never re-sends the key.
    response = RedirectResponse(path, status_code=303)
    if set_cookie is not None:
        response.headers.append("Set-Cookie", set_cookie)
    return response


def _over_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS: directly, or through a trusted proxy whose
    X-Forwarded-Proto uvicorn already applied to the scheme (FORWARDED_ALLOW_IPS)."""
    return request.url.scheme == "https"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _offered_key(request: Request) -> bytes | None:
    """The `key` field of a urlencoded form body; None when there is none (or it is too big)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    values = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=8).get("key")
    return values[0].strip().encode() if values else None


def pages_router(
    credentials: Credentials | None, throttle: SignInThrottle, snapshot: Snapshot
) -> APIRouter:
    """The page routes; `credentials` None: an open API, no sign-in; `snapshot` gives the live
    state the dashboard's HTML starts with."""
    router = APIRouter(include_in_schema=False)
    dashboard = read("index.html")
    sign_in_page = read("sign-in.html")
    if credentials is not None:
        dashboard = dashboard.replace(_SIGN_OUT_MARK, _SIGN_OUT_FORM)

    def sign_in_form(
        message: str, status_code: int, headers: dict[str, str] | None = None
    ) -> Response:
        text = f'<p class="message" role="alert">{html.escape(message)}</p>' if message else ""
        return _page(sign_in_page.replace(_MESSAGE_MARK, text), status_code, headers)

    @router.api_route(DASHBOARD_PATH, methods=["GET", "HEAD"])
    async def show_dashboard(request: Request) -> Response:
        if credentials is not None and not credentials.allow(request.scope["headers"]):
            return _redirect(SIGN_IN_PATH)
        island = f'<script type="application/json" id="snapshot">{snapshot()}</script>'
        return _page(dashboard.replace(_SNAPSHOT_MARK, island))

    @router.api_route(SIGN_IN_PATH, methods=["GET", "HEAD"])
    async def show_sign_in(request: Request) -> Response:
        if credentials is None or credentials.allow(request.scope["headers"]):
            return _redirect(DASHBOARD_PATH)
        return sign_in_form("", 200)

    @router.post(SIGN_IN_PATH)
    async def sign_in(request: Request) -> Response:
        if credentials is None:
            return _redirect(DASHBOARD_PATH)
        client = _client(request)
        wait_seconds = throttle.retry_after_seconds(client)
        message = ""
        if wait_seconds is None:
            offered = await _offered_key(request)
            if credentials.key_matches(offered):
                throttle.succeeded(client)
                return _redirect(
                    DASHBOARD_PATH, credentials.sessions.set_cookie(secure=_over_https(request))
                )
            throttle.failed(client)
            message = "Wrong key. "
            wait_seconds = throttle.retry_after_seconds(client)
            if wait_seconds is None:
                return sign_in_form(message + "Check it and try again.", 401)
        return sign_in_form(
            f"{message}Too many wrong keys from this device: try again in {wait_seconds} s.",
            429,
            {"Retry-After": str(wait_seconds)},
        )

    @router.post(SIGN_OUT_PATH)
    async def sign_out(request: Request) -> Response:
        target = SIGN_IN_PATH if credentials is not None else DASHBOARD_PATH
        return _redirect(target, SessionCookies.clear_cookie(secure=_over_https(request)))

    return router
