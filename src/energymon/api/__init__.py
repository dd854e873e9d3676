"""The HTTP API: the seed's endpoints for the mobile app, plus health, metrics and a live stream."""

from energymon.api.app import create_app

__all__ = ["create_app"]
