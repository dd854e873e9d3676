"""The dashboard at `/`, browser sign-in and the offline API docs (static/ ships in the wheel)."""

from energymon.web.site import Site
from energymon.web.snapshot import live_snapshot
from energymon.web.throttle import SignInThrottle

__all__ = ["SignInThrottle", "Site", "live_snapshot"]
