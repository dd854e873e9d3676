"""/logs: historical data with daily statistics, and the two log files as downloads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from energymon.api.deps import LogFilesDep, MonitorDep, OptionalApplianceId
from energymon.api.errors import error_responses
from energymon.api.historical import HistoricalAnswers
from energymon.api.memo import remembered
from energymon.api.routes import text_responses
from energymon.api.schemas import HistoricalResponse

__all__ = ["router"]

router = APIRouter(prefix="/logs", tags=["logs"])

MAX_DAYS = 3660  # ten years: the daily rollups are kept forever


def _attachment(chunks: Iterator[bytes], media_type: str, filename: str) -> StreamingResponse:
    """A streamed download; Starlette iterates the blocking iterator in its thread pool."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


@router.get(
    "/historical-data", response_model=HistoricalResponse, responses=error_responses(401, 404)
)
async def historical_data(
    request: Request,
    monitor: MonitorDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="Local days, today included")] = 7,
    appliance_id: OptionalApplianceId = None,
) -> Response:
    """Downsampled readings and one statistics entry per local day, oldest first.

    The JSON is HistoricalResponse's, written by api.historical, which keeps its settled part.
    """
    answers: HistoricalAnswers = request.app.state.historical_answers
    queries = monitor.queries
    return await remembered(
        request,
        queries,
        ("historical", days, appliance_id),
        lambda gzip: answers.body(queries, days, appliance_id, gzip),
    )


@router.get(
    "/download/energy-monitor",
    response_class=StreamingResponse,
    responses=text_responses(
        "The CSV log (`timestamp,watts,appliance_id`), retained days, oldest first, header once.",
        "text/csv",
        401,
    ),
)
def download_energy_log(log_files: LogFilesDep) -> StreamingResponse:
    """The seed's energy monitor CSV log as an attachment, streamed."""
    return _attachment(log_files.energy_log(), "text/csv", "energy_monitor.log")


@router.get(
    "/download/api",
    response_class=StreamingResponse,
    responses=text_responses("The API access log, oldest first.", "text/plain", 401),
)
def download_access_log(log_files: LogFilesDep) -> StreamingResponse:
    """The API access log (rotated days, then today) as an attachment, streamed."""
    return _attachment(log_files.access_log(), "text/plain", "api_access.log")
