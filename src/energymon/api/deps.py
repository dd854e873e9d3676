"""What routes receive: the app's collaborators and the seed's query parameters, as aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, FastAPI, Query, Request
from prometheus_client import CollectorRegistry

from energymon.api.accesslog import AccessLog
from energymon.api.sse import ReadingStreams
from energymon.service.logfiles import LogFiles
from energymon.service.monitor import Monitor
from energymon.settings import Settings

__all__ = [
    "AppContext",
    "ApplianceId",
    "ContextDep",
    "LogFilesDep",
    "MonitorDep",
    "OptionalApplianceId",
    "RegistryDep",
    "SettingsDep",
    "StreamsDep",
    "context_of",
]


@dataclass(frozen=True, slots=True)
class AppContext:
    """Everything one app instance serves from; create_app puts it in `app.state.context`."""

    monitor: Monitor
    settings: Settings
    streams: ReadingStreams
    access_log: AccessLog | None
    log_files: LogFiles
    registry: CollectorRegistry


def context_of(app: FastAPI) -> AppContext:
    """The context create_app stored in `app`."""
    return cast(AppContext, app.state.context)


# The getters are `async def`: they only read memory, and a sync dependency would cost a hop
# through the thread pool on every request. Each takes the request itself rather than another
# dependency: FastAPI resolves every dependency anew per request, and that is its main cost.
async def get_context(request: Request) -> AppContext:
    """The context of the app serving this request."""
    return context_of(request.app)


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_monitor(request: Request) -> Monitor:
    """The monitor behind the app."""
    return context_of(request.app).monitor


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return context_of(request.app).settings


async def get_streams(request: Request) -> ReadingStreams:
    """The app's SSE fan-out."""
    return context_of(request.app).streams


async def get_log_files(request: Request) -> LogFiles:
    """The logs the app offers as downloads."""
    return context_of(request.app).log_files


async def get_registry(request: Request) -> CollectorRegistry:
    """The app's Prometheus registry."""
    return context_of(request.app).registry


MonitorDep = Annotated[Monitor, Depends(get_monitor)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StreamsDep = Annotated[ReadingStreams, Depends(get_streams)]
LogFilesDep = Annotated[LogFiles, Depends(get_log_files)]
RegistryDep = Annotated[CollectorRegistry, Depends(get_registry)]

OptionalApplianceId = Annotated[
    int | None,
    Query(alias="applianceId", description="An appliance id; omitted: all appliances"),
]


async def appliance_id_or_first(
    request: Request,
    appliance_id: Annotated[
        int | None,
        Query(alias="applianceId", description="An appliance id; omitted: the first configured"),
    ] = None,
) -> int:
    """The requested appliance, or the first configured one as the seed did."""
    if appliance_id is None:
        return context_of(request.app).monitor.queries.default_appliance_id()
    return appliance_id


ApplianceId = Annotated[int, Depends(appliance_id_or_first)]
