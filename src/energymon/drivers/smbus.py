"""SMBus register access shared by every chip driver: byte order, sign, retries, one error type.

SMBus moves a 16-bit word low byte first; the INA2xx chips send their registers high byte
first. `read_word_data` therefore returns the two bytes swapped, and the swap happens here and
nowhere else. Wider registers (the INA228's 24- and 40-bit ones) are read as an I²C block,
whose bytes arrive in the chip's own order (most significant first): no swap.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from energymon.drivers.base import SensorError, SMBusLike

__all__ = [
    "TRANSIENT_ERRNOS",
    "Registers",
    "register_from_smbus",
    "smbus_from_register",
    "to_signed",
]

# errno values an I²C transfer may recover from: no ACK (EREMOTEIO; ENXIO on some adapters),
# bus error (EIO), a stretched clock timing out (ETIMEDOUT), lost arbitration (EAGAIN).
TRANSIENT_ERRNOS = frozenset(
    {errno.EREMOTEIO, errno.ENXIO, errno.EIO, errno.ETIMEDOUT, errno.EAGAIN}
)

_T = TypeVar("_T")


def register_from_smbus(word: int) -> int:
    """The register value of an SMBus word: SMBus delivers the low byte first, the chip the high."""
    return ((word & 0xFF) << 8) | (word >> 8)


def smbus_from_register(value: int) -> int:
    """The SMBus word that writes `value` to a register (the inverse byte swap)."""
    return ((value & 0xFF) << 8) | (value >> 8)


def to_signed(value: int, bits: int = 16) -> int:
    """A `bits`-wide two's complement value as a Python int."""
    sign = 1 << (bits - 1)
    return value - (sign << 1) if value & sign else value


class Registers:
    """The registers of one chip at one address, read and written with retries.

    Transient errors (see TRANSIENT_ERRNOS) are retried `retries` times; what still fails
    raises SensorError naming bus, address and register.
    """

    def __init__(self, bus: SMBusLike, address: int, bus_number: int = 1, retries: int = 3) -> None:
        """No I/O; `bus_number` only names the bus in error messages."""
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, got {retries}")
        self.bus = bus
        self.address = address
        self.retries = retries
        self.where = f"bus {bus_number} address 0x{address:02X}"

    def read(self, register: int) -> int:
        """A 16-bit register's value."""
        # The hot path of every sample (five reads per INA219 reading): one call, no closure;
        # only a failed transfer goes through the retry loop.
        try:
            return register_from_smbus(self.bus.read_word_data(self.address, register))
        except OSError as exc:
            return self._retry(register, "reading", lambda: self._read_word(register), exc)

    def write(self, register: int, value: int) -> None:
        """Write a 16-bit register."""
        word = smbus_from_register(value)
        self._retry(
            register, "writing", lambda: self.bus.write_word_data(self.address, register, word)
        )

    def read_wide(self, register: int, size: int) -> int:
        """A register of `size` bytes (3 for 24 bits, 5 for 40), most significant byte first."""

        def transfer() -> int:
            return int.from_bytes(bytes(self.bus.read_i2c_block_data(self.address, register, size)))

        return self._retry(register, "reading", transfer)

    def setup(
        self, chip: str, writes: Sequence[tuple[int, int]], expected: Mapping[int, int]
    ) -> None:
        """Write registers in order, then read `expected` back: SensorError when they differ.

        A different chip at the address (or none that keeps what it is told) fails here.
        """
        for register, value in writes:
            self.write(register, value)
        got = {register: self.read(register) for register in expected}
        if got != expected:
            wrote = ", ".join(f"0x{r:02X}=0x{v:04X}" for r, v in expected.items())
            read = ", ".join(f"0x{r:02X}=0x{v:04X}" for r, v in got.items())
            message = f"wrote {wrote} but read back {read}; is this an {chip}?"
            raise SensorError(f"{self.where}: {message}")

    def _read_word(self, register: int) -> int:
        return register_from_smbus(self.bus.read_word_data(self.address, register))

    def _retry(
        self,
        register: int,
        action: str,
        transfer: Callable[[], _T],
        failed: OSError | None = None,
    ) -> _T:
        """Run `transfer` until it works or fails for good; `failed`: a first attempt's error."""
        attempt = 0
        error = failed
        while True:
            if error is None:
                try:
                    return transfer()
                except OSError as exc:
                    error = exc
            attempt += 1
            if error.errno in TRANSIENT_ERRNOS and attempt <= self.retries:
                error = None
                continue
            raise SensorError(
                f"{self.where}: {action} register 0x{register:02X} failed after "
                f"{attempt} attempt{'s' if attempt > 1 else ''}: {error.strerror or error}"
            ) from error
