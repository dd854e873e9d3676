"""The fake SMBus and the register-level INA219 simulator, checked against the datasheet."""

from __future__ import annotations

import errno

import pytest

from energymon.drivers.fakebus import FakeBus, SimulatedINA219
from energymon.drivers.profiles import Profile
from energymon.service.clock import ManualClock

ADDRESS = 0x40
REG_CONFIG, REG_SHUNT, REG_BUS, REG_POWER, REG_CURRENT, REG_CALIBRATION = range(6)
CONFIG_12BIT_CONTINUOUS = 0x019F  # 16 V, ±40 mV, 12-bit shunt and bus, continuous
CONVERSION_SECONDS = 2 * 532e-6  # 12-bit shunt, then 12-bit bus


def make_chip(
    profile: Profile = lambda t: (12.0, 1.0), shunt_ohms: float = 0.1
) -> tuple[SimulatedINA219, FakeBus, ManualClock]:
    """A powered-on simulated chip on a fake bus, with the clock it follows."""
    clock = ManualClock()
    chip = SimulatedINA219(profile, clock=clock.time, shunt_ohms=shunt_ohms)
    bus = FakeBus({ADDRESS: chip})
    return chip, bus, clock


def steady(volts: float, amps: float) -> Profile:
    """A profile that never changes."""
    return lambda t: (volts, amps)


def write(chip: SimulatedINA219, register: int, value: int) -> None:
    """Write a register as the chip sees it (no SMBus byte order involved)."""
    chip.write_register(register, value)


def convert(chip: SimulatedINA219, clock: ManualClock, seconds: float = 0.01) -> None:
    """Let conversions complete, then latch the newest by reading the config register."""
    clock.advance(seconds)
    chip.read_register(REG_CONFIG)


# The bus ----------------------------------------------------------------------------------


def test_word_written_over_smbus_lands_byte_swapped_in_the_register() -> None:
    """SMBus sends the word's low byte first and the chip takes the first byte as high."""
    chip, bus, _ = make_chip()
    bus.write_word_data(ADDRESS, REG_CALIBRATION, 0x0010)
    assert chip.peek(REG_CALIBRATION) == 0x1000


def test_register_read_over_smbus_arrives_with_its_bytes_swapped() -> None:
    """The chip sends its high byte first, which SMBus delivers as the word's low byte."""
    _, bus, _ = make_chip()
    assert bus.read_word_data(ADDRESS, REG_CONFIG) == 0x9F39


def test_address_without_a_chip_gets_no_ack() -> None:
    """Nothing at an address answers with OSError errno 121, as Linux reports a missing ACK."""
    chip, bus, _ = make_chip()
    assert bus.detach(ADDRESS) is chip
    for address in (ADDRESS, 0x4F):
        with pytest.raises(OSError, match="no ACK") as info:
            bus.read_word_data(address, REG_CONFIG)
        assert info.value.errno == errno.EREMOTEIO


def test_closed_bus_refuses_transactions() -> None:
    """After close() every transaction fails, like a closed smbus2.SMBus."""
    _, bus, _ = make_chip()
    bus.close()
    with pytest.raises(OSError, match="closed") as info:
        bus.write_word_data(ADDRESS, REG_CONFIG, 0)
    assert info.value.errno == errno.EBADF


def test_log_records_transactions_in_chip_byte_order_and_keeps_the_latest() -> None:
    """The log holds (op, address, register, register value), bounded to its size."""
    chip = SimulatedINA219(lambda t: (12.0, 1.0), clock=ManualClock().time)
    bus = FakeBus(log_size=2)
    bus.attach(ADDRESS, chip)
    bus.read_word_data(ADDRESS, REG_CALIBRATION)
    bus.write_word_data(ADDRESS, REG_CALIBRATION, 0x0010)
    bus.read_word_data(ADDRESS, REG_CONFIG)
    assert list(bus.log) == [
        ("write", ADDRESS, REG_CALIBRATION, 0x1000),
        ("read", ADDRESS, REG_CONFIG, 0x399F),
    ]


def test_chips_at_different_addresses_are_independent() -> None:
    """Each address reaches its own chip."""
    chip, bus, clock = make_chip()
    other = SimulatedINA219(lambda t: (5.0, 0.5), clock=clock.time)
    bus.attach(0x44, other)
    bus.write_word_data(0x44, REG_CALIBRATION, 0x0010)
    assert (chip.peek(REG_CALIBRATION), other.peek(REG_CALIBRATION)) == (0, 4096)


# Registers --------------------------------------------------------------------------------


def test_chip_powers_on_with_the_datasheet_defaults() -> None:
    """Config 0x399F; calibration, current and power 0."""
    chip, _, _ = make_chip()
    registers = [chip.peek(r) for r in (REG_CONFIG, REG_CALIBRATION, REG_CURRENT, REG_POWER)]
    assert registers == [0x399F, 0, 0, 0]


def test_rst_bit_resets_every_register_and_clears_itself() -> None:
    """Writing RST (bit 15) restores every power-on value; the bit does not read back."""
    chip, _, clock = make_chip()
    write(chip, REG_CONFIG, CONFIG_12BIT_CONTINUOUS)
    write(chip, REG_CALIBRATION, 4096)
    convert(chip, clock)
    write(chip, REG_CONFIG, 0x8000 | CONFIG_12BIT_CONTINUOUS)
    assert [chip.peek(r) for r in range(6)] == [0x399F, 0, 0, 0, 0, 0]


def test_calibration_bit_0_is_void() -> None:
    """Calibration bit 0 (FS0) reads back clear."""
    chip, _, _ = make_chip()
    write(chip, REG_CALIBRATION, 4097)
    assert chip.read_register(REG_CALIBRATION) == 4096


def test_read_only_registers_ignore_writes() -> None:
    """Writes to the shunt, bus, power and current registers change nothing."""
    chip, _, _ = make_chip()
    for register in (REG_SHUNT, REG_BUS, REG_POWER, REG_CURRENT):
        write(chip, register, 0x1234)
        assert chip.peek(register) == 0


@pytest.mark.parametrize(("pga_code", "full_scale"), [(0, 4000), (1, 8000), (2, 16000), (3, 32000)])
def test_shunt_register_saturates_at_the_pga_full_scale(pga_code: int, full_scale: int) -> None:
    """Past ±40/80/160/320 mV the shunt register holds at ±4000..32000, both signs."""
    for sign in (1, -1):
        chip, _, clock = make_chip(steady(12.0, sign * 5.0))
        write(chip, REG_CONFIG, 0x399F & ~(0b11 << 11) | pga_code << 11)
        convert(chip, clock)
        expected = full_scale if sign > 0 else 0x10000 - full_scale
        assert chip.peek(REG_SHUNT) == expected


def test_current_and_power_follow_the_datasheet_example_with_its_calibration() -> None:
    """2 mΩ, 10 A, 11.98 V, calibration 20480: current 10000 and power 5990 (SBOS448)."""
    chip, _, clock = make_chip(lambda t: (11.98, 10.0), shunt_ohms=0.002)
    write(chip, REG_CALIBRATION, 20480)
    convert(chip, clock)
    assert (chip.peek(REG_SHUNT), chip.peek(REG_BUS) >> 3) == (2000, 2995)
    assert (chip.peek(REG_CURRENT), chip.peek(REG_POWER)) == (10000, 5990)
    assert not chip.peek(REG_BUS) & 0b1  # no OVF


def test_negative_current_gives_a_negative_current_register_and_positive_power() -> None:
    """Current is signed like the shunt; the power register holds its magnitude."""
    chip, _, clock = make_chip(lambda t: (12.0, -1.0))
    write(chip, REG_CALIBRATION, 4096)
    convert(chip, clock)
    assert chip.peek(REG_CURRENT) == 0x10000 - 10000
    assert chip.peek(REG_POWER) == 10000 * 3000 // 5000


def test_ovf_is_set_when_the_current_math_overflows() -> None:
    """A large calibration pushes current past 16 bits: OVF set, current clamped."""
    chip, _, clock = make_chip(lambda t: (12.0, 100.0), shunt_ohms=0.002)
    write(chip, REG_CALIBRATION, 20480)
    convert(chip, clock)
    assert chip.peek(REG_BUS) & 0b1
    assert chip.peek(REG_CURRENT) == 0x7FFF


@pytest.mark.parametrize(("config", "volts"), [(0x399F, 20.0), (0x199F, 16.0)])
def test_bus_voltage_is_limited_by_the_brng_range(config: int, volts: float) -> None:
    """A 20 V bus reads 20 V in the 32 V range and full scale 16 V in the 16 V range."""
    chip, _, clock = make_chip(lambda t: (20.0, 1.0))
    write(chip, REG_CONFIG, config)
    convert(chip, clock)
    assert (chip.peek(REG_BUS) >> 3) * 0.004 == pytest.approx(volts)


# Conversions ------------------------------------------------------------------------------


def test_registers_update_only_when_a_conversion_completes() -> None:
    """At 12 bits a shunt+bus conversion takes 1.064 ms; before that the old values stay."""
    chip, _, clock = make_chip()
    write(chip, REG_CONFIG, 0x399F)  # restarts conversions now
    convert(chip, clock, CONVERSION_SECONDS * 0.99)
    assert chip.peek(REG_SHUNT) == 0
    convert(chip, clock, CONVERSION_SECONDS * 0.02)
    assert chip.peek(REG_SHUNT) == 10000


def test_averaging_128_samples_takes_68_ms_per_input() -> None:
    """128 averaged samples take 68.1 ms for the shunt and again for the bus."""
    chip, _, clock = make_chip()
    write(chip, REG_CONFIG, 0x3FFF)  # BADC = SADC = 1111
    convert(chip, clock, 0.136)
    assert chip.peek(REG_SHUNT) == 0
    convert(chip, clock, 0.0005)
    assert chip.peek(REG_SHUNT) == 10000


def test_inputs_are_sampled_when_the_conversion_completes() -> None:
    """The registers hold the profile's value at the end of the latest completed conversion."""
    chip, _, clock = make_chip(lambda t: (12.0, 1.0 if t < 1_700_000_000.5 else 2.0))
    convert(chip, clock, 0.4)
    assert chip.peek(REG_SHUNT) == 10000
    convert(chip, clock, 0.2)
    assert chip.peek(REG_SHUNT) == 20000


def test_cnvr_is_set_by_a_conversion_and_cleared_by_reading_power() -> None:
    """CNVR (bus bit 1) rises with each conversion and falls when power is read."""
    chip, _, clock = make_chip()
    assert not chip.read_register(REG_BUS) & 0b10
    clock.advance(CONVERSION_SECONDS)
    assert chip.read_register(REG_BUS) & 0b10
    chip.read_register(REG_POWER)
    assert not chip.read_register(REG_BUS) & 0b10


def test_triggered_mode_converts_once_per_mode_write() -> None:
    """In shunt+bus triggered mode (0b011) one conversion follows each config write."""
    amps = iter([1.0, 2.0, 3.0])
    chip, _, clock = make_chip(lambda t: (12.0, next(amps)))
    write(chip, REG_CONFIG, 0x399B)
    convert(chip, clock, 1.0)
    convert(chip, clock, 1.0)
    assert chip.peek(REG_SHUNT) == 10000
    write(chip, REG_CONFIG, 0x399B)
    convert(chip, clock, 1.0)
    assert chip.peek(REG_SHUNT) == 20000


def test_power_down_mode_stops_conversions() -> None:
    """Mode 0b000 converts nothing."""
    chip, _, clock = make_chip()
    write(chip, REG_CONFIG, 0x3998)
    convert(chip, clock, 1.0)
    assert chip.peek(REG_SHUNT) == 0


def test_shunt_noise_is_bounded_and_reproducible() -> None:
    """ADC noise stays within its amplitude and repeats for the same conversion time."""
    readings = []
    for _ in range(2):
        clock = ManualClock()
        chip = SimulatedINA219(lambda t: (12.0, 1.0), clock=clock.time, shunt_noise_volts=50e-6)
        series = []
        for _ in range(50):
            convert(chip, clock, 0.05)
            series.append(chip.peek(REG_SHUNT))
        readings.append(series)
    assert readings[0] == readings[1]
    assert all(abs(value - 10000) <= 5 for value in readings[0])
    assert len(set(readings[0])) > 1


# Fault injection --------------------------------------------------------------------------


def test_nack_fails_the_next_transactions_then_answers() -> None:
    """nack(2) makes two transactions fail with errno 121; the third answers."""
    chip, bus, _ = make_chip()
    chip.nack(2)
    for _ in range(2):
        with pytest.raises(OSError, match="no ACK") as info:
            bus.read_word_data(ADDRESS, REG_CONFIG)
        assert info.value.errno == errno.EREMOTEIO
    assert bus.read_word_data(ADDRESS, REG_CONFIG) == 0x9F39


def test_removed_chip_answers_again_after_restore_with_power_on_values() -> None:
    """remove() silences the chip; restore() brings it back freshly powered on."""
    chip, bus, _ = make_chip()
    write(chip, REG_CALIBRATION, 4096)
    chip.remove()
    with pytest.raises(OSError, match="no ACK"):
        bus.write_word_data(ADDRESS, REG_CALIBRATION, 0x0010)
    chip.restore()
    assert (chip.peek(REG_CONFIG), chip.peek(REG_CALIBRATION)) == (0x399F, 0)


def test_brown_out_restores_power_on_values() -> None:
    """brown_out() puts config and calibration back to 0x399F and 0."""
    chip, _, _ = make_chip()
    write(chip, REG_CONFIG, CONFIG_12BIT_CONTINUOUS)
    write(chip, REG_CALIBRATION, 4096)
    chip.brown_out()
    assert (chip.peek(REG_CONFIG), chip.peek(REG_CALIBRATION)) == (0x399F, 0)


def test_stuck_chip_keeps_its_last_conversion_until_released() -> None:
    """stuck() freezes the results; stuck(False) lets conversions update them again."""
    level = {"amps": 1.0}
    chip, _, clock = make_chip(lambda t: (12.0, level["amps"]))
    convert(chip, clock)
    chip.stuck()
    level["amps"] = 2.0
    convert(chip, clock)
    assert chip.peek(REG_SHUNT) == 10000
    chip.stuck(False)
    convert(chip, clock)
    assert chip.peek(REG_SHUNT) == 20000


def test_forced_overflow_sets_ovf_until_cleared() -> None:
    """force_overflow() sets OVF on each conversion; force_overflow(False) stops it."""
    chip, _, clock = make_chip()
    chip.force_overflow()
    convert(chip, clock)
    assert chip.peek(REG_BUS) & 0b1
    chip.force_overflow(False)
    convert(chip, clock)
    assert not chip.peek(REG_BUS) & 0b1
