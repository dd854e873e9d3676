"""The HTTP app for a built Monitor: its access log, its log downloads, its API key (and the
browser sessions signed with it) and the pages at `/`."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from fastapi import FastAPI

from energymon.api.accesslog import AccessLog
from energymon.api.app import create_app
from energymon.api.security import Credentials
from energymon.api.session import SessionCookies
from energymon.api.sse import KEEPALIVE_SECONDS
from energymon.service.logfiles import LogFiles
from energymon.service.monitor import Monitor
from energymon.settings import Settings
from energymon.storage.seedlog import iter_log, logs_dir
from energymon.web import SignInThrottle, Site, live_snapshot

__all__ = ["build_app"]


def build_app(
    settings: Settings,
    monitor: Monitor,
    *,
    api_key: bytes | None,
    sse_keepalive_seconds: float | None = None,
) -> FastAPI:
    """The API and pages for `monitor`, with the key bootstrap loaded (None: an open API).

    Sessions and the sign-in throttle read the monitor's clock, so tests that move it move them.
    """
    logs = logs_dir(settings.storage.data_dir)
    log_files = LogFiles(energy_log=partial(iter_log, logs))
    access_log = None
    if settings.server.access_log:
        access_log = AccessLog(
            logs, retention_days=settings.storage.retention_days, zone=settings.zone
        )
        log_files = replace(log_files, access_log=access_log.iter_bytes)
    clock = monitor.queries.clock
    credentials = None if api_key is None else Credentials(api_key, SessionCookies(api_key, clock))
    return create_app(
        monitor,
        settings,
        credentials=credentials,
        pages=Site(credentials, SignInThrottle(clock), live_snapshot(monitor)),
        access_log=access_log,
        log_files=log_files,
        sse_keepalive_seconds=(
            KEEPALIVE_SECONDS if sse_keepalive_seconds is None else sse_keepalive_seconds
        ),
    )
