"""create_app: the FastAPI application for one Monitor, its routers, middleware and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from energymon import __version__
from energymon.api.accesslog import AccessLog, AccessLogMiddleware
from energymon.api.deps import AppContext
from energymon.api.errors import install_error_handlers
from energymon.api.historical import HistoricalAnswers
from energymon.api.memo import AnswerMemo
from energymon.api.metrics import build_registry
from energymon.api.recent import RecentAnswers
from energymon.api.routes import appliances, energy, logs, ops
from energymon.api.security import API_KEY_HEADER, ApiKeyMiddleware, Credentials, security_schemes
from energymon.api.sse import KEEPALIVE_SECONDS, ReadingStreams
from energymon.service.logfiles import LogFiles
from energymon.service.monitor import Monitor
from energymon.settings import Settings

__all__ = ["GZIP_MINIMUM_BYTES", "Pages", "create_app"]

GZIP_MINIMUM_BYTES = 1024
QUERY_THREADS = 8
STREAM_PATHS = frozenset({"/energy/stream"})
# Open even with an API key: liveness checks, and the schema (it holds no data). The pages
# add their own (Pages.public_paths).
PUBLIC_PATHS = frozenset({"/health", "/openapi.json"})

DESCRIPTION = """\
Energy readings of the appliances a Raspberry Pi measures with INA219 sensors.

The seed's endpoints (`/energy`, `/energy/history`, `/logs/...`, `/appliances`) keep their
paths, query names and JSON keys. When an API key is configured, send it in the `X-API-Key`
header (or as `Authorization: Bearer <key>`) on every route but `/health`. A browser signs in
once at `/sign-in` instead and then sends a session cookie, which these routes accept too.
These docs stay open: they hold no data.
"""


class Pages(Protocol):
    """What the browser UI (energymon.web.Site) adds to the app: routes, open paths."""

    public_paths: frozenset[str]
    public_prefixes: tuple[str, ...]

    def install(self, app: FastAPI) -> None:
        """Add the pages' routes and files to `app`."""
        ...


class _GZipExceptStreams:
    """GZip for ordinary responses; event streams pass untouched, or they would be buffered."""

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        self.plain = app
        # Level 5, not Starlette's 9: a third of the CPU for JSON within a few % of the size.
        self.compressed = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=5)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route by path: streams go straight to the app."""
        if scope["type"] == "http" and scope["path"] in STREAM_PATHS:
            await self.plain(scope, receive, send)
        else:
            await self.compressed(scope, receive, send)


def _document_api_key(app: FastAPI) -> None:
    """Declare the key in the OpenAPI schema, so /docs offers to send it."""
    generate = app.openapi

    def openapi_with_key() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {})["securitySchemes"] = security_schemes()
            schema["security"] = [{"APIKey": []}, {"Bearer": []}]
            for path in PUBLIC_PATHS:
                for operation in schema["paths"].get(path, {}).values():
                    operation["security"] = []
        return app.openapi_schema or generate()

    app.openapi = openapi_with_key  # type: ignore[method-assign]


def create_app(
    monitor: Monitor,
    settings: Settings,
    *,
    log_files: LogFiles,
    access_log: AccessLog | None = None,
    credentials: Credentials | None = None,
    pages: Pages | None = None,
    sse_keepalive_seconds: float = KEEPALIVE_SECONDS,
) -> FastAPI:
    """The API for `monitor`; the caller starts and stops the monitor, not the app.

    Args:
        access_log: written by the app while it runs (opened and closed with it); None: off.
        credentials: the key (or its session cookie) required on every route but the public
            ones; None: an open API.
        pages: the dashboard and API docs; None: the JSON API alone, without /docs.
    """
    context = AppContext(
        monitor=monitor,
        settings=settings,
        streams=ReadingStreams(
            monitor.runner, settings.zone, keepalive_seconds=sse_keepalive_seconds
        ),
        access_log=access_log,
        log_files=log_files,
        registry=build_registry(monitor),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Storage queries run in anyio's thread pool (40 threads by default). Four storage
        # readers serve them at most anyway; more threads only add stacks and malloc arenas.
        anyio.to_thread.current_default_thread_limiter().total_tokens = QUERY_THREADS
        if context.access_log is not None:
            context.access_log.open()
        try:
            yield
        finally:
            context.streams.close()
            if context.access_log is not None:
                context.access_log.close()

    app = FastAPI(
        title="energymon",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # The docs come with the pages, from vendored files (FastAPI's load from a CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    app.state.historical_answers = HistoricalAnswers(settings.zone)
    app.state.recent_answers = RecentAnswers()
    app.state.answer_memo = AnswerMemo()
    install_error_handlers(app)

    app.include_router(ops.public_router)
    for router in (energy.router, logs.router, appliances.router, ops.router):
        app.include_router(router)
    if credentials is not None:
        _document_api_key(app)
    public_paths, public_prefixes = PUBLIC_PATHS, tuple[str, ...]()
    if pages is not None:
        pages.install(app)
        public_paths |= pages.public_paths
        public_prefixes = pages.public_prefixes

    # Added innermost first: the access log sees every request, including CORS preflights.
    app.add_middleware(_GZipExceptStreams, minimum_size=GZIP_MINIMUM_BYTES)
    if credentials is not None:
        app.add_middleware(
            ApiKeyMiddleware,
            credentials=credentials,
            public_paths=public_paths,
            public_prefixes=public_prefixes,
        )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.server.cors_origins),
        allow_methods=["GET"],
        allow_headers=[API_KEY_HEADER, "Authorization"],
        expose_headers=["Content-Disposition"],
        max_age=600,
    )
    if access_log is not None:
        app.add_middleware(AccessLogMiddleware, access_log=access_log)
    return app
