"""P10: MQTT: publisher CPU and throughput, the samplers while the broker flaps, outbox drain.

All against a real Mosquitto on loopback (tests/support/mosquitto.Broker, the tests' runner),
with the publisher the composition root builds (`bootstrap.mqtt.build_publisher`):

- Sustained: the outbox is filled with N readings messages of 30 readings (one default flush
  of three appliances at 1 Hz) and the publisher drains it at full speed, QoS 1, with its
  window of 16 unacknowledged messages; messages/s is N over the drain's wall time, CPU per
  message this process's CPU time (publisher thread, paho's network thread, SQLite) over N.
  The broker's own CPU is not counted.
- Sampler side: thread CPU of `offer()`, what each finished reading costs a sampler thread.
- Flapping: `energymon serve` (three simulated appliances at 20 Hz, flushes and states every
  second, [mqtt] from the environment) runs for a minute (smoke: 20 s) while another process
  SIGKILLs the broker and restarts it every 5 s; the figure is the server's own count of
  missed sampling periods (/metrics, goal 0), beside that of the same time just before
  without MQTT: on a shared 2-core machine other work makes samplers miss periods too, and
  only the difference is MQTT's. (Interleaved 20 s runs at load average 4-5 gave 9/1 missed
  without MQTT, 12/0 with a steady broker, 2/26 with it flapping: the load decides, not MQTT.)
- Drain after a 10-minute outage: the outbox holds what 10 minutes of the default
  configuration leave while the broker is away (60 flushes × 30 readings); the figure is the
  time from the publisher's start until the broker has acknowledged all of it.

Without Debian's mosquitto the figures are n/a, with a note.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tests.support.mosquitto import Broker, mosquitto_binary

from bench.context import Context
from bench.harness import bench_settings
from bench.report import Figure, Target, load_average
from bench.server import Server, start_server
from energymon.bootstrap import build
from energymon.bootstrap.mqtt import build_publisher
from energymon.domain.model import Reading
from energymon.mqtt.outbox import OUTBOX_FILENAME, Outbox
from energymon.mqtt.payloads import encode_readings
from energymon.mqtt.publisher import MqttPublisher
from energymon.mqtt.settings import MqttSettings
from energymon.settings import Settings

TARGET_MISSED = Target("<=", 0, "")
READINGS_PER_FLUSH = 30  # three appliances, ten 1 s readings per 10 s flush
FLAP_SECONDS = 5.0
DRAIN_TIMEOUT_SECONDS = 120.0


def _readings(count: int, start_ms: int) -> list[Reading]:
    noise = random.Random(count)
    return [
        Reading(1 + i % 3, start_ms + (i // 3) * 1000, 50 + noise.random(), 12.0, 4.2, 0.014, 1.0)
        for i in range(count)
    ]


def _settings(folder: Path, broker: Broker, **mqtt: object) -> Settings:
    settings = bench_settings(folder / "data", storage={"flush_interval_seconds": 1.0})
    config = MqttSettings.model_validate(
        {"enabled": True, "host": "127.0.0.1", "port": broker.port, "device_id": "bench", **mqtt}
    )
    return settings.model_copy(update={"mqtt": config})


def _fill_outbox(data_dir: Path, batches: int) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    outbox = Outbox(data_dir / OUTBOX_FILENAME, max_readings=10**9)
    start_ms = 1_767_225_600_000
    for batch in range(batches):
        readings = _readings(READINGS_PER_FLUSH, start_ms + batch * 10_000)
        outbox.append(encode_readings(readings), len(readings))
    count = outbox.batches
    outbox.close()
    return count


def _drain(settings: Settings) -> tuple[float, float, MqttPublisher]:
    """Start a publisher on a full outbox; (wall seconds, process CPU seconds) until empty."""
    monitor = build(settings, csv_log=False)
    publisher = build_publisher(settings, monitor, settings.storage.data_dir)
    cpu, wall = time.process_time(), time.perf_counter()
    publisher.start()
    deadline = wall + DRAIN_TIMEOUT_SECONDS
    try:
        while publisher.view().queued_readings > 0:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"outbox not drained in {DRAIN_TIMEOUT_SECONDS} s")
            time.sleep(0.005)  # polling the figure being measured; the publisher never waits on it
        return time.perf_counter() - wall, time.process_time() - cpu, publisher
    finally:
        publisher.stop()
        monitor.runner.store.close()


def _sustained(ctx: Context, broker: Broker) -> list[Figure]:
    batches = 300 if ctx.smoke else 3000
    folder = ctx.scratch("p10-sustained")
    settings = _settings(folder, broker, state_interval_seconds=3600)
    messages = _fill_outbox(settings.storage.data_dir, batches)
    wall, cpu, publisher = _drain(settings)
    note = f"{messages:,} messages of {READINGS_PER_FLUSH} readings, QoS 1, loopback broker"
    return [
        Figure("P10", "MQTT messages/s sustained", messages / wall, "msg/s", None, note),
        Figure("P10", "CPU per published MQTT message", cpu / messages * 1e6, "µs", None, note),
        Figure(
            "P10",
            "MQTT readings/s sustained",
            messages * READINGS_PER_FLUSH / wall,
            "readings/s",
            None,
            f"{publisher.counters.published:,} messages acknowledged",
        ),
    ]


def _offer_cost(ctx: Context, broker: Broker) -> Figure:
    folder = ctx.scratch("p10-offer")
    settings = _settings(folder, broker)
    monitor = build(settings, csv_log=False)
    publisher = build_publisher(settings, monitor, settings.storage.data_dir)
    stream = publisher.stream
    assert stream is not None
    readings = _readings(1000, 1_767_225_600_000)
    rounds = 50 if ctx.smoke else 500
    started = time.thread_time()
    for _ in range(rounds):
        for reading in readings:
            stream.offer(reading)
    cpu = time.thread_time() - started
    monitor.runner.store.close()
    stream.outbox.close()
    count = rounds * len(readings)
    return Figure(
        "P10",
        "CPU per reading offered to MQTT (sampler)",
        cpu / count * 1e9,
        "ns",
        None,
        f"{count:,} offers: what a sampler thread pays per reading",
    )


def _flap(broker: Broker, flaps: int, pid_file: Path) -> subprocess.Popen[bytes]:
    """A shell that kills the broker 5 s from now and starts it again 5 s later, `flaps` times.

    Another process, so that forking mosquitto never costs this process (the service's) a
    moment of its GIL; the last broker's PID is left in `pid_file` to end it by.
    """
    assert broker.process is not None
    mosquitto = mosquitto_binary()
    config = broker.folder / "mosquitto.conf"
    script = (
        f"pid={broker.process.pid}; for i in $(seq {flaps}); do sleep {FLAP_SECONDS}; "
        f"kill -KILL $pid; sleep {FLAP_SECONDS}; {mosquitto} -c {config} >/dev/null 2>&1 & "
        f"pid=$!; done; echo $pid > {pid_file}"
    )
    # The shell's "Killed" notices are expected: stderr goes nowhere.
    return subprocess.Popen(["bash", "-c", script], stderr=subprocess.DEVNULL)


def _missed_periods(server: Server) -> int:
    """The server's own count of missed sampling periods (/metrics)."""
    text = httpx.get(server.url("/metrics"), timeout=10).text
    return round(
        sum(
            sample.value
            for family in text_string_to_metric_families(text)
            if family.name == "energymon_sampler_missed_periods"
            for sample in family.samples
        )
    )


def _served(ctx: Context, name: str, seconds: float, env: dict[str, str]) -> tuple[int, Server]:
    """Missed periods of `energymon serve` over `seconds` after its first reading."""
    server = start_server(ctx.scratch(name), storage={"flush_interval_seconds": 1.0}, env=env)
    try:
        server.wait_first_reading()
        before = _missed_periods(server)
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            time.sleep(0.5)  # the measured window itself, not a synchronisation
        return _missed_periods(server) - before, server
    finally:
        server.stop()


def _flapping(ctx: Context, broker: Broker) -> list[Figure]:
    """`energymon serve` without MQTT for a while (the control), then as long publishing to a
    broker killed and restarted every 5 s: a 2-core machine shared with other work misses
    periods either way, so the difference is what MQTT costs."""
    seconds = 20.0 if ctx.smoke else 60.0
    control, _ = _served(ctx, "p10-control", seconds, {})
    load_control = load_average()
    folder = ctx.scratch("p10-flap")
    flaps = int(seconds // (2 * FLAP_SECONDS))
    env = {
        "ENERGYMON_MQTT__ENABLED": "true",
        "ENERGYMON_MQTT__HOST": "127.0.0.1",
        "ENERGYMON_MQTT__PORT": str(broker.port),
        "ENERGYMON_MQTT__DEVICE_ID": "bench",
        "ENERGYMON_MQTT__STATE_INTERVAL_SECONDS": "1",
    }
    flapper = _flap(broker, flaps, folder / "broker.pid")
    try:
        missed, server = _served(ctx, "p10-flap-serve", seconds, env)
        flapper.wait(30)
    finally:
        flapper.kill()
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((folder / "broker.pid").read_text()), signal.SIGKILL)
        broker.process = None
    log = server.log.read_text(errors="replace")
    note = (
        f"{seconds:.0f} s of `energymon serve` at 20 Hz, broker killed {flaps}×, "
        f"{log.count('MQTT connected')} connects; load average {load_average()}"
    )
    return [
        Figure("P10", "sampler missed periods, broker flapping", missed, "", TARGET_MISSED, note),
        Figure(
            "P10",
            "sampler missed periods, same time without MQTT",
            control,
            "",
            None,
            f"the control, run just before; load average {load_control}",
        ),
    ]


def _outage_drain(ctx: Context, broker: Broker) -> list[Figure]:
    folder = ctx.scratch("p10-outage")
    settings = _settings(folder, broker, state_interval_seconds=3600)
    messages = _fill_outbox(settings.storage.data_dir, 60)
    wall, _, _ = _drain(settings)
    readings = messages * READINGS_PER_FLUSH
    note = f"{readings:,} readings in {messages} messages, from start (connect included)"
    return [
        Figure("P10", "outbox drain after a 10-minute outage", wall * 1000, "ms", None, note),
        Figure("P10", "outbox drain rate", readings / wall, "readings/s", None, note),
    ]


def _not_measured(reason: str) -> list[Figure]:
    whats = (
        "MQTT messages/s sustained",
        "CPU per published MQTT message",
        "MQTT readings/s sustained",
        "CPU per reading offered to MQTT (sampler)",
        "outbox drain after a 10-minute outage",
        "outbox drain rate",
        "sampler missed periods, broker flapping",
        "sampler missed periods, same time without MQTT",
    )
    return [Figure("P10", what, float("nan"), "", None, reason) for what in whats]


def run(ctx: Context) -> list[Figure]:
    """Every MQTT figure against one broker."""
    if mosquitto_binary() is None:
        return _not_measured("needs Debian's mosquitto: sudo apt-get install mosquitto")
    broker = Broker(ctx.scratch("p10-broker"))
    broker.start()
    try:
        figures = _sustained(ctx, broker)
        figures.append(_offer_cost(ctx, broker))
        figures += _outage_drain(ctx, broker)
        figures += _flapping(ctx, broker)
    finally:
        broker.stop(signal.SIGKILL)
    return figures
