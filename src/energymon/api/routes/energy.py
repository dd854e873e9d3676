"""/energy: the latest reading, recent history, a live stream and period summaries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from energymon.api.deps import ApplianceId, MonitorDep, OptionalApplianceId, StreamsDep
from energymon.api.errors import error_responses
from energymon.api.memo import remembered
from energymon.api.recent import RecentAnswers
from energymon.api.routes import text_responses
from energymon.api.schemas import EnergyNow, HistoryResponse, SummaryOut
from energymon.domain.tariff import Period

__all__ = ["router"]

router = APIRouter(tags=["energy"])

# A query waiting on SQLite must never stall the event loop: routes that query storage either
# are plain `def` (FastAPI runs them in its thread pool) or give a body kept by api.memo and
# write it in the thread pool. /energy only reads the sampler's latest reading from memory, so
# it runs on the loop and saves the thread hop on the busiest route.


@router.get("/energy", responses=error_responses(401, 404, 503))
async def current_energy(monitor: MonitorDep, appliance_id: ApplianceId) -> EnergyNow:
    """The latest reading of one appliance (default: the first configured)."""
    queries = monitor.queries
    return EnergyNow.of(queries.current(appliance_id), queries.zone)


@router.get("/energy/history", response_model=HistoryResponse, responses=error_responses(401, 404))
async def energy_history(
    request: Request,
    monitor: MonitorDep,
    appliance_id: ApplianceId,
    limit: Annotated[int, Query(ge=1, le=10_000, description="How many readings")] = 24,
) -> Response:
    """The last `limit` readings of one appliance, oldest first (HistoryResponse's JSON).

    Written by api.recent, which keeps each appliance's settled readings encoded.
    """
    answers: RecentAnswers = request.app.state.recent_answers
    queries = monitor.queries
    return await remembered(
        request,
        queries,
        ("history", appliance_id, limit),
        lambda gzip: answers.body(queries, appliance_id, limit, gzip),
    )


@router.get("/energy/summary", response_model=SummaryOut, responses=error_responses(401, 404))
async def energy_summary(
    request: Request,
    monitor: MonitorDep,
    appliance_id: OptionalApplianceId = None,
    period: Annotated[Period, Query(description="The current local day, ISO week or month")] = (
        "day"
    ),
) -> Response:
    """Energy (kWh) and cost so far in the current period, of one appliance or all."""
    queries = monitor.queries

    def write(gzip: bool) -> bytes:  # short: the app's GZip middleware decides about it
        summary = SummaryOut.of(queries.summary(period, appliance_id))
        return summary.model_dump_json(by_alias=True).encode()

    return await remembered(request, queries, ("summary", period, appliance_id), write)


@router.get(
    "/energy/stream",
    response_class=StreamingResponse,
    responses=text_responses(
        "Server-Sent Events: one `data:` line per new reading, JSON shaped "
        "like an item of /energy/history; `: keep-alive` comments while idle.",
        "text/event-stream",
        401,
        404,
    ),
)
async def energy_stream(
    monitor: MonitorDep, streams: StreamsDep, appliance_id: OptionalApplianceId = None
) -> StreamingResponse:
    """Each new reading as it is stored (of one appliance, or all)."""
    if appliance_id is not None:
        monitor.queries.appliance(appliance_id)  # UnknownAppliance: 404 before the stream
    return streams.response(appliance_id)
