"""Fixtures of the MQTT tests: brokers started here and ended by PID."""

from __future__ import annotations

from tests.support.mosquitto import broker_factory

__all__ = ["broker_factory"]
