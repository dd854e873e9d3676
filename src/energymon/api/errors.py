"""How failures become HTTP: every error is JSON `{"detail": ...}` with a fitting status."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from energymon.api.schemas import ErrorOut
from energymon.service.errors import NoReadingYet, SensorOffline, UnknownAppliance
from energymon.storage.base import StorageError

__all__ = ["error_responses", "install_error_handlers"]

log = structlog.get_logger("energymon.api")

# The sampler retries an offline sensor within seconds; tell clients when to ask again.
RETRY_AFTER_SECONDS = "5"
# A sensor that is starting has its first reading within one storage interval (1 s by default).
FIRST_READING_RETRY_AFTER_SECONDS = "1"

_DESCRIPTIONS = {
    401: "API key missing or wrong (only when a key is configured)",
    404: "No appliance with this id",
    503: "The appliance's sensor is offline (the detail says why), or storage is unavailable",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error statuses a route can answer with."""
    return {code: {"model": ErrorOut, "description": _DESCRIPTIONS[code]} for code in codes}


async def _unknown_appliance(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_404_NOT_FOUND)


async def _sensor_offline(request: Request, exc: Exception) -> JSONResponse:
    retry_after = (
        FIRST_READING_RETRY_AFTER_SECONDS if isinstance(exc, NoReadingYet) else RETRY_AFTER_SECONDS
    )
    return JSONResponse(
        {"detail": str(exc)},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": retry_after},
    )


async def _storage_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("storage query failed", path=request.url.path, error=str(exc))
    return JSONResponse(
        {"detail": f"storage unavailable: {exc}"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the traceback (through uvicorn's logger) after this response is sent.
    return JSONResponse(
        {"detail": "internal server error"}, status_code=status.HTTP_500_INTERNAL_SERVER_ERROR
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map our errors to 404/503 and anything unexpected to a JSON 500.

    FastAPI already answers 401, 404 (unknown path), 405 and 422 with a JSON `detail`.
    """
    app.add_exception_handler(UnknownAppliance, _unknown_appliance)
    app.add_exception_handler(SensorOffline, _sensor_offline)
    app.add_exception_handler(StorageError, _storage_error)
    app.add_exception_handler(Exception, _internal_error)
