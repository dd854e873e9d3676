"""energymon: a Raspberry Pi energy monitor for INA219 sensors over I²C."""

__all__ = ["__version__"]

__version__ = "0.1.0"
