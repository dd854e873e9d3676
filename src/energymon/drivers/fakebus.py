"""A fake SMBus: simulated chips answer at their addresses, so real drivers run anywhere."""

from __future__ import annotations

import errno
from collections import deque
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from energymon.drivers.sim.chip import NO_ACK

# The INA219 simulation lives with the other chips in sim/; tests have always found it here.
from energymon.drivers.sim.ina219 import SimulatedINA219

__all__ = ["FakeBus", "RegisterChip", "SimulatedINA219", "WideRegisterChip"]


def _no_ack(address: int) -> OSError:
    return OSError(NO_ACK, f"Remote I/O error (no ACK from 0x{address:02X})")


class RegisterChip(Protocol):
    """A device on the fake bus: 16-bit registers in the chip's own (big-endian) byte order."""

    def read_register(self, register: int) -> int:
        """The register's value; OSError when the chip does not answer."""
        ...

    def write_register(self, register: int, value: int) -> None:
        """Write the register; OSError when the chip does not answer."""
        ...


@runtime_checkable
class WideRegisterChip(RegisterChip, Protocol):
    """A chip with registers wider than 16 bits (the INA228's 24- and 40-bit ones)."""

    def read_wide(self, register: int, size: int) -> int:
        """The register's value, `size` bytes wide; OSError when the chip does not answer."""
        ...


class FakeBus:
    """An SMBus in memory: same methods and byte order as `smbus2.SMBus`, chips by address.

    `log` holds the last completed transactions as (op, address, register, register value),
    op "read" or "write", the value as the chip holds it (not the SMBus word).
    """

    def __init__(
        self, chips: Mapping[int, RegisterChip] | None = None, *, log_size: int = 1000
    ) -> None:
        """A bus with `chips` by address; attach more to give it devices."""
        self._chips: dict[int, RegisterChip] = dict(chips or {})
        self.log: deque[tuple[str, int, int, int]] = deque(maxlen=log_size)
        self.closed = False

    def attach(self, address: int, chip: RegisterChip) -> None:
        """Put `chip` on the bus at `address`, replacing any chip there."""
        self._chips[address] = chip

    def detach(self, address: int) -> RegisterChip | None:
        """Take the chip at `address` off the bus; transactions to it then get no ACK."""
        return self._chips.pop(address, None)

    def _chip(self, address: int) -> RegisterChip:
        if self.closed:
            raise OSError(errno.EBADF, "Bad file descriptor (bus closed)")
        chip = self._chips.get(address)
        if chip is None:
            raise _no_ack(address)
        return chip

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        """Read a register; the chip sends its high byte first, SMBus makes it the low byte."""
        value = self._chip(i2c_addr).read_register(register)
        self.log.append(("read", i2c_addr, register, value))
        return int.from_bytes(value.to_bytes(2, "big"), "little")

    def write_word_data(
        self, i2c_addr: int, register: int, value: int, force: bool | None = None
    ) -> None:
        """Write a register; SMBus sends the word's low byte first, the chip takes it as high."""
        chip_value = int.from_bytes(value.to_bytes(2, "little"), "big")
        self._chip(i2c_addr).write_register(register, chip_value)
        self.log.append(("write", i2c_addr, register, chip_value))

    def read_i2c_block_data(
        self, i2c_addr: int, register: int, length: int, force: bool | None = None
    ) -> list[int]:
        """Read `length` bytes, most significant first as the chip sends them.

        A chip of 16-bit registers sends its register and then the idle bus's 0xFF bytes.
        """
        chip = self._chip(i2c_addr)
        if isinstance(chip, WideRegisterChip):
            value = chip.read_wide(register, length)
            data = list(value.to_bytes(length, "big"))
        else:
            value = chip.read_register(register)
            data = [*value.to_bytes(2, "big"), *[0xFF] * (length - 2)][:length]
        self.log.append(("read", i2c_addr, register, value))
        return data

    def close(self) -> None:
        """Close the bus; later transactions fail with EBADF like a closed smbus2.SMBus."""
        self.closed = True
