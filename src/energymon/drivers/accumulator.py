"""A chip's energy accumulator as a running total: wrap-around, resets, and the sign.

The INA228 adds |power| into an unsigned 40-bit register at every conversion, and the register
wraps to 0 when full. Read often enough (one wrap takes days at full scale), the difference of
two reads modulo 2^40 is the energy between them, wrap or no wrap. The register has no sign:
where the current kept its direction between two reads, the energy takes that sign; where it
reversed, the energy splits as it does under a power that changed linearly between the two
readings (the share each side's triangle has of the area).
"""

from __future__ import annotations

__all__ = ["EnergyCounter", "signed_share"]


def signed_share(watts_before: float, watts_after: float) -> float:
    """The net fraction (-1..1) of unsigned energy that flowed forwards between two readings.

    Power changing linearly from p0 to p1 spends p0² / (p0² + p1²) of |energy| on p0's side:
    the net share is (p0·|p0| + p1·|p1|) / (p0² + p1²); ±1 when both have one sign.
    """
    p0, p1 = watts_before, watts_after
    squares = p0 * p0 + p1 * p1
    return (p0 * abs(p0) + p1 * abs(p1)) / squares if squares else 0.0


class EnergyCounter:
    """Signed joules from an unsigned accumulator of `bits` bits, `joules_per_count` each."""

    def __init__(self, bits: int, joules_per_count: float) -> None:
        """A total of 0 J, waiting for its first reading."""
        self.modulus = 1 << bits
        self.joules_per_count = joules_per_count
        self.total_joules = 0.0
        self.wraps = 0  # times the register went past its top (seen as a smaller reading)
        self._raw: int | None = None
        self._watts = 0.0

    def restart(self) -> None:
        """The chip's register was cleared (configured, or reset): the next reading is a base."""
        self._raw = None

    def update(self, raw: int, watts: float) -> float:
        """Account a reading of the register with the power at that moment; the new total."""
        if self._raw is not None:
            if raw < self._raw:
                self.wraps += 1
            counts = (raw - self._raw) % self.modulus
            share = signed_share(self._watts, watts)
            self.total_joules += counts * self.joules_per_count * share
        self._raw, self._watts = raw, watts
        return self.total_joules
