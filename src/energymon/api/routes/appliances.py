"""/appliances: what is configured, where its sensor sits and whether it answers."""

from __future__ import annotations

from fastapi import APIRouter

from energymon.api.deps import MonitorDep
from energymon.api.errors import error_responses
from energymon.api.schemas import ApplianceOut, AppliancesResponse

__all__ = ["router"]

router = APIRouter(tags=["appliances"])


@router.get("/appliances", responses=error_responses(401))
def list_appliances(monitor: MonitorDep) -> AppliancesResponse:
    """Every configured appliance, in configuration order."""
    return AppliancesResponse(appliances=[ApplianceOut.of(a) for a in monitor.queries.appliances()])
