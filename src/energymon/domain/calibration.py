"""INA219 calibration arithmetic from physical settings (TI SBOS448, section 8.5).

We write calibration 4096: the chip's current register then equals its shunt register
(current = shunt × cal / 4096), so no resolution is lost to truncation; this is what Linux hwmon
and Adafruit's current driver do. Then current LSB = shunt LSB / R = 10 µV / shunt_ohms and power
LSB = 20 × current LSB (datasheet equation 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "CALIBRATION",
    "PGA_RANGES",
    "SHUNT_LSB_VOLTS",
    "Calibration",
    "calibrate",
    "choose_pga",
    "max_shunt_volts",
]

CALIBRATION = 4096
SHUNT_LSB_VOLTS = 10e-6  # shunt voltage register LSB, fixed for every PGA gain
POWER_LSB_PER_CURRENT_LSB = 20  # datasheet: power LSB = 20 × current LSB

# PGA gain code (config bits 12..11) -> full-scale shunt voltage. "/1" is ±40 mV ... "/8" ±320 mV.
PGA_RANGES: tuple[tuple[int, float], ...] = ((0, 0.04), (1, 0.08), (2, 0.16), (3, 0.32))

# 3.2 A × 0.1 Ω is 0.32000000000000006 V in binary floating point: compare with a tolerance.
_RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class Calibration:
    """The register values and scale factors that follow from a shunt and its expected current."""

    calibration: int
    pga_code: int
    full_scale_volts: float
    current_lsb: float  # amperes per bit
    power_lsb: float  # watts per bit


def max_shunt_volts(shunt_ohms: float, max_expected_amps: float) -> float:
    """The largest shunt voltage the configured current produces."""
    return abs(max_expected_amps) * shunt_ohms


def choose_pga(shunt_volts: float) -> tuple[int, float]:
    """The smallest PGA range (code, full-scale volts) that holds `shunt_volts`.

    Raises ValueError beyond ±320 mV, which the INA219 cannot measure.
    """
    for code, full_scale in PGA_RANGES:
        if shunt_volts <= full_scale or math.isclose(
            shunt_volts, full_scale, rel_tol=_RELATIVE_TOLERANCE
        ):
            return code, full_scale
    raise ValueError(
        f"shunt voltage {shunt_volts * 1000:.1f} mV exceeds the INA219's ±320 mV range; "
        "lower max_expected_amps or use a smaller shunt"
    )


def calibrate(shunt_ohms: float, max_expected_amps: float) -> Calibration:
    """Calibration for a shunt (ohms) and the largest current (amperes) it must carry."""
    if shunt_ohms <= 0:
        raise ValueError(f"shunt_ohms must be positive, got {shunt_ohms}")
    code, full_scale = choose_pga(max_shunt_volts(shunt_ohms, max_expected_amps))
    current_lsb = SHUNT_LSB_VOLTS / shunt_ohms
    return Calibration(
        calibration=CALIBRATION,
        pga_code=code,
        full_scale_volts=full_scale,
        current_lsb=current_lsb,
        power_lsb=POWER_LSB_PER_CURRENT_LSB * current_lsb,
    )
