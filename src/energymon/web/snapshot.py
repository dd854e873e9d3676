"""The live state the dashboard starts from, put into its HTML so no request stands between
loading the page and showing a value (the first live value on a slow phone).

A JSON data island: `<script type="application/json">` is never executed, so the page's
Content-Security-Policy (scripts from 'self' only) still holds; `<` is escaped, so no appliance
name can close the element.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from energymon.api.schemas import ApplianceOut, ReadingOut
from energymon.service.monitor import Monitor

__all__ = ["Snapshot", "live_snapshot"]

Snapshot = Callable[[], str]


def live_snapshot(monitor: Monitor) -> Snapshot:
    """A function giving the appliances (as /appliances has them), each one's latest reading
    (as the event stream sends them) and the tariff's currency, as JSON safe to put inside a
    script element."""
    queries = monitor.queries

    def snapshot() -> str:
        views = queries.appliances()
        readings = [
            ReadingOut.model_validate(ReadingOut.row(view.last_reading, queries.zone)).model_dump(
                mode="json", by_alias=True
            )
            for view in views
            if view.last_reading is not None
        ]
        appliances = [ApplianceOut.of(view).model_dump(mode="json") for view in views]
        state = {
            "appliances": appliances,
            "readings": readings,
            "currency": queries.tariff.currency,
        }
        return json.dumps(state, separators=(",", ":")).replace("<", "\\u003c")

    return snapshot
