"""The INA219 driver against the fake bus: decoding, byte order, overflow, resets and retries."""

from __future__ import annotations

import errno
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from energymon.drivers import Measurement, SensorError
from energymon.drivers import smbus as smbus_module
from energymon.drivers.fakebus import FakeBus, RegisterChip, SimulatedINA219
from energymon.drivers.ina219 import (
    INA219,
    POWER_ON_CONFIG,
    Adc,
    Mode,
    config_word,
    register_from_smbus,
    smbus_from_register,
    to_signed,
)
from energymon.drivers.profiles import Profile
from energymon.service.clock import ManualClock
from tests.support.fakes import ChipWire

ADDRESS = 0x41
REG_CONFIG, REG_SHUNT, REG_BUS, REG_POWER, REG_CURRENT, REG_CALIBRATION = range(6)


@dataclass
class Rig:
    """A configured driver, its simulated chip, the bus between them and the clock they share."""

    ina: INA219
    chip: SimulatedINA219
    bus: FakeBus
    clock: ManualClock

    def read_fresh(self) -> Measurement:
        """Let one conversion complete, then read it."""
        self.clock.advance(self.ina.conversion_time_seconds)
        return self.ina.read()


def make_rig(
    profile: Profile = lambda t: (12.0, 1.0),
    *,
    shunt_ohms: float = 0.1,
    max_expected_amps: float = 3.2,
    bus_voltage_range: int = 32,
    retries: int = 3,
) -> Rig:
    """A driver configured on a simulated chip whose inputs come from `profile`."""
    clock = ManualClock()
    chip = SimulatedINA219(profile, clock=clock.time, shunt_ohms=shunt_ohms)
    bus = FakeBus({ADDRESS: chip})
    ina = INA219(
        bus,
        address=ADDRESS,
        shunt_ohms=shunt_ohms,
        max_expected_amps=max_expected_amps,
        bus_voltage_range=bus_voltage_range,
        retries=retries,
    )
    ina.configure()
    return Rig(ina, chip, bus, clock)


class RegisterFile:
    """A chip that answers with the register values it was given and stores writes verbatim."""

    def __init__(self, registers: dict[int, int]) -> None:
        self.registers = dict(registers)

    def read_register(self, register: int) -> int:
        return self.registers.get(register, 0)

    def write_register(self, register: int, value: int) -> None:
        self.registers[register] = value


class Flaky(ChipWire):
    """Wraps a chip: the next `failures` transactions raise OSError(`code`); counts attempts."""

    def __init__(self, chip: RegisterChip, code: int, failures: int) -> None:
        super().__init__(chip)
        self.code, self.failures, self.attempts = code, failures, 0

    def before_transaction(self) -> None:
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            raise OSError(self.code, errno.errorcode.get(self.code, "error"))


# The TI datasheet's worked example: 10 A through 2 mΩ at 11.98 V. With calibration 4096 the
# current register equals the shunt register, and power = 2000 × 2995 / 5000 = 1198. The bus
# word is the datasheet's 0x5D98 with CNVR (bit 1) set: a conversion under our calibration.
DATASHEET_REGISTERS = {
    REG_SHUNT: 0x07D0,
    REG_BUS: 0x5D98 | 0b10,
    REG_CURRENT: 0x07D0,
    REG_POWER: 1198,
}


def datasheet_driver() -> tuple[INA219, RegisterFile]:
    """A driver for the datasheet's 2 mΩ shunt reading the datasheet's register values."""
    chip = RegisterFile(DATASHEET_REGISTERS)
    bus = FakeBus({ADDRESS: chip})
    ina = INA219(bus, address=ADDRESS, shunt_ohms=0.002, max_expected_amps=15.0)
    ina.configure()
    return ina, chip


# Register encoding -------------------------------------------------------------------------


@given(st.integers(0, 0xFFFF))
def test_byte_swap_round_trips_every_word(value: int) -> None:
    """Swapping a register value into an SMBus word and back gives the value again."""
    assert register_from_smbus(smbus_from_register(value)) == value


def test_smbus_word_carries_the_registers_high_byte_second() -> None:
    """The register's high byte travels in the SMBus word's low byte and vice versa."""
    assert smbus_from_register(0x399F) == 0x9F39
    assert register_from_smbus(0x9F39) == 0x399F


@given(st.integers(-0x8000, 0x7FFF))
def test_signed_registers_round_trip_through_twos_complement(value: int) -> None:
    """Every signed 16-bit value survives encoding as a register word and decoding."""
    assert to_signed(value & 0xFFFF) == value


def test_shunt_full_scale_words_decode_to_plus_and_minus_32000() -> None:
    """The ±320 mV full-scale shunt words 0x7D00 and 0x8300 decode to ±32000 (10 µV each)."""
    assert (to_signed(0x7D00), to_signed(0x8300), to_signed(0xFFFF)) == (32000, -32000, -1)


def test_power_on_configuration_is_what_the_default_settings_encode() -> None:
    """32 V, ±320 mV, 12-bit ADCs and continuous shunt+bus encode to the power-on 0x399F."""
    word = config_word(
        bus_voltage_range=32, pga_code=3, adc=Adc.BITS_12, mode=Mode.SHUNT_AND_BUS_CONTINUOUS
    )
    assert word == POWER_ON_CONFIG == 0x399F


@given(
    volts=st.floats(0.0, 26.0),
    amps=st.floats(-3.2, 3.2),
)
def test_readings_round_trip_through_the_simulated_chip(volts: float, amps: float) -> None:
    """Inputs come back through chip registers and the driver within one LSB, sign included."""
    rig = make_rig(lambda t: (volts, amps))
    reading = rig.read_fresh()
    assert reading.amps == pytest.approx(amps, abs=0.5e-4 + 1e-12)
    assert reading.bus_volts == pytest.approx(volts, abs=0.002 + 1e-12)
    assert reading.watts == pytest.approx(volts * amps, abs=0.012)
    assert reading.watts * amps >= 0
    assert reading.overflow == (round(abs(amps) / 1e-4) >= 32000)


# The datasheet example and byte order -----------------------------------------------------


def test_datasheet_registers_read_10_amps_and_119_8_watts() -> None:
    """Shunt 0x07D0 and bus 0x5D98 over a 2 mΩ shunt read as 20 mV, 11.98 V, 10 A, 119.8 W."""
    ina, _ = datasheet_driver()
    reading = ina.read()
    assert reading.shunt_volts == pytest.approx(0.020)
    assert reading.bus_volts == pytest.approx(11.98)
    assert reading.amps == pytest.approx(10.0)
    assert reading.watts == pytest.approx(119.8)


def test_simulated_datasheet_example_produces_the_datasheet_registers() -> None:
    """10 A at 11.98 V through 2 mΩ gives shunt 0x07D0 and bus 0x5D98, read as 10 A, 119.8 W."""
    rig = make_rig(lambda t: (11.98, 10.0), shunt_ohms=0.002, max_expected_amps=15.0)
    reading = rig.read_fresh()
    assert rig.chip.peek(REG_SHUNT) == 0x07D0
    assert rig.chip.peek(REG_BUS) & ~0b111 == 0x5D98
    assert (reading.amps, reading.watts) == pytest.approx((10.0, 119.8))


@pytest.mark.parametrize(
    ("bus_voltage_range", "max_expected_amps", "expected_config"),
    [(32, 3.2, 0x399F), (16, 3.2, 0x199F), (32, 0.4, 0x219F), (16, 1.6, 0x119F)],
)
def test_configure_lands_the_exact_register_values_in_the_chip(
    bus_voltage_range: int, max_expected_amps: float, expected_config: int
) -> None:
    """Config and calibration words written over SMBus arrive as the chip's register values."""
    rig = make_rig(max_expected_amps=max_expected_amps, bus_voltage_range=bus_voltage_range)
    assert rig.chip.peek(REG_CONFIG) == expected_config == rig.ina.config
    assert rig.chip.peek(REG_CALIBRATION) == 4096


def _check_byte_order() -> None:
    rig = make_rig(max_expected_amps=0.4)
    assert rig.chip.peek(REG_CONFIG) == 0x219F
    assert rig.chip.peek(REG_CALIBRATION) == 4096
    ina, _ = datasheet_driver()
    assert ina.read().amps == pytest.approx(10.0)


def test_byte_order_checks_pass_for_the_driver() -> None:
    """The driver's configuration lands as written and the datasheet registers read right."""
    _check_byte_order()


def test_byte_order_checks_catch_a_driver_that_skips_the_swap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same checks fail for a driver variant that sends and takes words unswapped."""
    monkeypatch.setattr(smbus_module, "register_from_smbus", lambda word: word)
    monkeypatch.setattr(smbus_module, "smbus_from_register", lambda value: value)
    with pytest.raises((AssertionError, SensorError)):
        _check_byte_order()


# Overflow, saturation and sign ------------------------------------------------------------


@pytest.mark.parametrize(
    ("amps", "max_expected_amps", "expected_amps"),
    [(3.5, 3.2, 3.2), (-3.5, 3.2, -3.2), (1.0, 0.4, 0.4), (-0.9, 0.8, -0.8)],
)
def test_current_beyond_the_range_saturates_and_reads_as_overflow(
    amps: float, max_expected_amps: float, expected_amps: float
) -> None:
    """A current past the PGA range reads as the range's full scale, flagged as overflow."""
    rig = make_rig(lambda t: (12.0, amps), max_expected_amps=max_expected_amps)
    reading = rig.read_fresh()
    assert reading.amps == pytest.approx(expected_amps)
    assert reading.overflow


def test_current_just_inside_the_range_is_not_overflow() -> None:
    """3.19 A through 0.1 Ω (319 mV) is inside the ±320 mV range."""
    reading = make_rig(lambda t: (12.0, 3.19)).read_fresh()
    assert reading.amps == pytest.approx(3.19)
    assert not reading.overflow


def test_chip_ovf_flag_reads_as_overflow() -> None:
    """The chip's math overflow flag (OVF) marks a reading as overflow at any current."""
    rig = make_rig()
    rig.chip.force_overflow()
    assert rig.read_fresh().overflow


def test_negative_current_reads_negative_amps_and_negative_watts() -> None:
    """Current flowing backwards through the shunt gives negative amps and negative watts."""
    reading = make_rig(lambda t: (12.0, -1.5)).read_fresh()
    assert reading.amps == pytest.approx(-1.5)
    assert reading.watts == pytest.approx(-18.0)
    assert reading.shunt_volts == pytest.approx(-0.15)


# Conversions ------------------------------------------------------------------------------


def test_read_before_the_first_conversion_completes_is_not_ready() -> None:
    """Right after configure() the chip has no new conversion; one conversion time later it has."""
    rig = make_rig()
    assert not rig.ina.read().conversion_ready
    assert rig.read_fresh().conversion_ready


def test_current_and_power_registers_give_amps_and_watts_once_a_conversion_is_done() -> None:
    """After a calibrated conversion, amps and watts come from the current and power registers."""
    ina, chip = datasheet_driver()
    chip.registers |= {REG_CURRENT: 0x0FA0, REG_POWER: 2396}  # what calibration 8192 would give
    assert (ina.read().amps, ina.read().watts) == pytest.approx((20.0, 239.6))


def test_read_right_after_configure_takes_amps_from_the_shunt_register() -> None:
    """Before a conversion under the new calibration, current and power (0) are not used."""
    clock = ManualClock()
    chip = SimulatedINA219(lambda t: (12.0, 1.5), clock=clock.time)
    clock.advance(1.0)  # the chip has been converting since power-on, with calibration 0
    bus = FakeBus({ADDRESS: chip})
    ina = INA219(bus, address=ADDRESS)
    ina.configure()
    reading = ina.read()
    assert chip.peek(REG_CURRENT) == 0
    assert not reading.conversion_ready
    assert (reading.amps, reading.watts) == pytest.approx((1.5, 18.0))


def test_second_read_of_the_same_conversion_is_not_ready() -> None:
    """Reading power clears CNVR, so a read before the next conversion reports not ready."""
    rig = make_rig()
    rig.read_fresh()
    assert not rig.ina.read().conversion_ready


@pytest.mark.parametrize(
    ("adc", "mode", "seconds"),
    [
        (Adc.BITS_12, Mode.SHUNT_AND_BUS_CONTINUOUS, 2 * 532e-6),
        (Adc.SAMPLES_128, Mode.SHUNT_AND_BUS_CONTINUOUS, 2 * 68.10e-3),
        (Adc.BITS_9, Mode.SHUNT_CONTINUOUS, 84e-6),
        (Adc.SAMPLES_2, Mode.BUS_CONTINUOUS, 1.06e-3),
    ],
)
def test_conversion_time_follows_the_adc_setting_and_mode(
    adc: Adc, mode: Mode, seconds: float
) -> None:
    """Shunt+bus modes take both conversion times in turn; single-input modes take one."""
    ina = INA219(FakeBus(), adc=adc, mode=mode)
    assert ina.conversion_time_seconds == pytest.approx(seconds)


# Construction -----------------------------------------------------------------------------


def test_constructing_the_driver_touches_no_bus() -> None:
    """INA219() derives its registers without any I²C transaction (an empty bus would fail)."""
    bus = FakeBus()
    ina = INA219(bus, address=0x4F, shunt_ohms=0.05, max_expected_amps=6.0)
    assert (ina.calibration, ina.current_lsb, ina.power_lsb) == (4096, 2e-4, 4e-3)
    assert not bus.log


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_expected_amps": 3.3}, "exceeds the INA219's ±320 mV range"),
        ({"bus_voltage_range": 20}, "bus_voltage_range must be 16 or 32"),
        ({"retries": -1}, "retries must be 0 or more"),
    ],
)
def test_settings_the_chip_cannot_meet_are_value_errors(
    options: dict[str, int | float], message: str
) -> None:
    """Over ±320 mV of shunt voltage, a bus range other than 16/32 V or negative retries."""
    with pytest.raises(ValueError, match=message):
        INA219(FakeBus(), **options)  # type: ignore[arg-type]


class _IgnoresWrites(RegisterFile):
    """A device at the address that is not an INA219: every register reads 0xFFFF."""

    def __init__(self) -> None:
        super().__init__(dict.fromkeys(range(6), 0xFFFF))

    def write_register(self, register: int, value: int) -> None:
        pass


def test_configure_rejects_a_device_that_does_not_keep_its_registers() -> None:
    """A device that reads back other values than were written is not taken for an INA219."""
    bus = FakeBus({ADDRESS: _IgnoresWrites()})
    with pytest.raises(SensorError, match=r"bus 1 address 0x41: .*is this an INA219"):
        INA219(bus, address=ADDRESS).configure()


# Chip resets ------------------------------------------------------------------------------


@pytest.mark.parametrize(("bus_voltage_range", "max_expected_amps"), [(32, 3.2), (16, 0.4)])
def test_brown_out_is_repaired_and_the_same_read_stays_right(
    bus_voltage_range: int, max_expected_amps: float
) -> None:
    """After a reset to power-on values the next read re-applies the setup and reads right."""
    rig = make_rig(
        lambda t: (12.0, 0.3),
        bus_voltage_range=bus_voltage_range,
        max_expected_amps=max_expected_amps,
    )
    rig.read_fresh()
    rig.chip.brown_out()
    reading = rig.read_fresh()
    assert (reading.amps, reading.watts) == pytest.approx((0.3, 3.6))
    assert rig.ina.resets == 1
    assert rig.chip.peek(REG_CONFIG) == rig.ina.config
    assert rig.chip.peek(REG_CALIBRATION) == 4096


def test_reads_after_a_repaired_brown_out_use_the_chip_registers_again() -> None:
    """Once repaired, later reads are right without another reset being counted."""
    rig = make_rig(lambda t: (12.0, -2.0))
    rig.chip.brown_out()
    rig.read_fresh()
    readings = [rig.read_fresh() for _ in range(3)]
    assert [value for r in readings for value in (r.amps, r.watts)] == pytest.approx(
        [-2.0, -24.0] * 3
    )
    assert rig.ina.resets == 1


def test_unplugged_chip_fails_and_reads_right_once_plugged_back() -> None:
    """A removed chip raises SensorError; restored (freshly powered on) it is set up again."""
    rig = make_rig()
    rig.chip.remove()
    with pytest.raises(SensorError):
        rig.read_fresh()
    rig.chip.restore()
    assert rig.read_fresh().amps == pytest.approx(1.0)
    assert rig.ina.resets == 1


# Retries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.EREMOTEIO, errno.EIO, errno.ETIMEDOUT])
def test_transient_errors_are_retried(code: int) -> None:
    """No ACK, bus errors and timeouts are retried up to `retries` times per transaction."""
    rig = make_rig(retries=3)
    flaky = Flaky(rig.chip, code, failures=3)
    rig.bus.attach(ADDRESS, flaky)
    assert rig.read_fresh().amps == pytest.approx(1.0)
    assert flaky.attempts == 5 + 3


def test_simulated_no_ack_is_retried() -> None:
    """The chip's own nack() fault is ridden out by the retries."""
    rig = make_rig(retries=2)
    rig.chip.nack(2)
    assert rig.read_fresh().amps == pytest.approx(1.0)


def test_device_that_keeps_failing_raises_sensor_error_naming_bus_and_address() -> None:
    """Past the retries the read fails with SensorError naming bus and address, from OSError."""
    rig = make_rig(retries=3)
    rig.chip.nack(4)
    with pytest.raises(SensorError, match=r"bus 1 address 0x41: reading register 0x02") as info:
        rig.read_fresh()
    assert isinstance(info.value.__cause__, OSError)
    assert info.value.__cause__.errno == errno.EREMOTEIO


def test_missing_device_raises_sensor_error() -> None:
    """An address with no device fails configure() with SensorError chained from OSError."""
    bus = FakeBus()
    with pytest.raises(SensorError, match="bus 3 address 0x4A: writing register 0x00") as info:
        INA219(bus, address=0x4A, bus_number=3).configure()
    assert isinstance(info.value.__cause__, OSError)


def test_other_os_errors_are_not_retried() -> None:
    """An OSError that is not a transient I²C error becomes SensorError at once."""
    rig = make_rig(retries=3)
    flaky = Flaky(rig.chip, errno.EINVAL, failures=1)
    rig.bus.attach(ADDRESS, flaky)
    with pytest.raises(SensorError, match="after 1 attempt:") as info:
        rig.read_fresh()
    assert flaky.attempts == 1
    assert isinstance(info.value.__cause__, OSError)
