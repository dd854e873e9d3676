"""Error types shared across layers."""

__all__ = ["ConfigError", "EnergymonError"]


class EnergymonError(Exception):
    """Base of every error energymon raises on purpose."""


class ConfigError(EnergymonError):
    """The configuration is unusable; the message names the file and key at fault."""
