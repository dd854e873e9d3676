"""Operations: /health for load balancers and systemd checks, /metrics for Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import PlainTextResponse

from energymon.api.deps import MonitorDep, RegistryDep
from energymon.api.health import HealthResponse
from energymon.api.metrics import render
from energymon.api.routes import text_responses

__all__ = ["public_router", "router"]

public_router = APIRouter(tags=["operations"])  # no API key: liveness must be checkable
router = APIRouter(tags=["operations"])


@public_router.get(
    "/health",
    responses={503: {"model": HealthResponse, "description": "The service cannot record"}},
)
def health(monitor: MonitorDep, response: Response) -> HealthResponse:
    """The service's state with its reasons: 200 while it records, 503 when it cannot."""
    report = HealthResponse.of(monitor.health.report())
    if not report.healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses=text_responses(
        "Prometheus text exposition (OpenMetrics when the scraper asks)",
        "text/plain",
        401,
    ),
)
def metrics(registry: RegistryDep, request: Request) -> Response:
    """Power, energy, sensor, sampler and storage figures, read at scrape time."""
    body, content_type = render(registry, request.headers.get("accept"))
    return Response(body, media_type=content_type)
