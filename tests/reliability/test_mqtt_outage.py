"""The broker away: readings wait in the on-disk outbox and reach the collector in order,
none missing, once it is back; the outbox survives a SIGKILL of energymon."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.support import wait_until
from tests.integration.mqtt.support import BASE, make_mqtt_server, readings_of
from tests.reliability.support import APPLIANCE_IDS, Budget, read_database
from tests.support.mosquitto import Broker, Listener, broker_factory

__all__ = ["broker_factory"]

TIMEOUT = 30.0


def _received(listener: Listener) -> dict[tuple[int, int], int]:
    """(appliance_id, timestamp_ms) of every reading received, with its first seq."""
    seen: dict[tuple[int, int], int] = {}
    for seq, reading in readings_of(listener.on(f"{BASE}/readings")):
        seen.setdefault((reading["appliance_id"], reading["timestamp_ms"]), seq)
    return seen


def _first_seqs_in_order(listener: Listener) -> None:
    """Each batch first arrives after every batch before it (copies may come again later)."""
    firsts: list[int] = []
    for message in listener.on(f"{BASE}/readings"):
        seq = message.json()["seq"]
        if seq not in firsts:
            firsts.append(seq)
    assert firsts == sorted(firsts)


def _reached(listener: Listener, wall_ms: int) -> Callable[[], bool]:
    """True once every appliance has a reading at or after `wall_ms` in the stream."""

    def reached() -> bool:
        latest: dict[int, int] = {}
        for appliance_id, timestamp_ms in _received(listener):
            latest[appliance_id] = max(latest.get(appliance_id, 0), timestamp_ms)
        return all(latest.get(i, 0) >= wall_ms for i in APPLIANCE_IDS)

    return reached


def _persistent_listener(broker: Broker) -> Listener:
    # A persistent session on a broker that saves it: the collector misses nothing while the
    # broker restarts, whichever of the two clients reconnects first.
    return Listener(broker, [f"{BASE}/readings"], client_id="collector", persistent=True)


def test_broker_down_for_a_while_then_the_outbox_drains_in_order_with_nothing_missing(
    broker_factory: Callable[..., Broker], tmp_path: Path, budget: Budget
) -> None:
    """Stop the broker (8 s, soak 30 s): health degraded, outbox grows; back: every reading
    arrives."""
    outage_seconds = budget.broker_outage_seconds
    broker = broker_factory(persistence=True)
    server = make_mqtt_server(tmp_path / "energymon", broker.mqtt_settings())
    listener = _persistent_listener(broker)
    server.start()
    try:
        wait_until(lambda: len(_received(listener)) > 0, TIMEOUT, "first readings")
        broker.stop(signal.SIGTERM)
        restart_at = time.monotonic() + outage_seconds
        wait_until(lambda: not server.mqtt_health()["connected"], TIMEOUT, "the lost broker")
        health = server.health()
        assert health["status"] == "degraded"
        assert health["healthy"] is True
        wait_until(lambda: time.monotonic() >= restart_at, outage_seconds + 5, "the outage")
        queued = server.mqtt_health()["queued_readings"]
        assert queued >= outage_seconds * 10 * len(APPLIANCE_IDS) * 0.8  # 10 readings/s each
        broker.start()
        back_ms = int(time.time() * 1000)
        wait_until(_reached(listener, back_ms), TIMEOUT, "the readings of the outage")
        mqtt = server.mqtt_health()
        assert mqtt["connected"] is True
        assert mqtt["reconnects"] >= 1
        assert mqtt["dropped_readings"] == 0
        assert server.stop() == 0
    finally:
        server.kill()
        listener.close()
    received = _received(listener)
    last = {i: max(ts for a, ts in received if a == i) for i in APPLIANCE_IDS}
    stored = read_database(server.data_dir).readings
    missing = [key for key in stored if key[1] <= last[key[0]] and key not in received]
    assert missing == []
    _first_seqs_in_order(listener)
    output = server.output()
    assert output.count('"event": "MQTT connection lost') == 1
    assert output.count('"event": "MQTT cannot connect') <= 1  # "Connection refused", once


def test_outbox_survives_a_sigkill_of_energymon(
    broker_factory: Callable[..., Broker], tmp_path: Path
) -> None:
    """Readings queued while the broker was away, then SIGKILL: the next start sends them."""
    folder = tmp_path / "energymon"
    broker = Broker(tmp_path / "broker")  # not started: away from the beginning
    settings: dict[str, Any] = broker.mqtt_settings()
    first = make_mqtt_server(folder, settings)
    first.start()
    try:
        wait_until(lambda: first.mqtt_health()["queued_readings"] >= 60, TIMEOUT, "queued")
        first.stop(signal.SIGKILL)
        killed_ms = int(time.time() * 1000)
    finally:
        first.kill()
    before_kill = read_database(folder / "data").readings
    broker = broker_factory("broker", port=broker.port)
    listener = Listener(broker, [f"{BASE}/readings"])
    second = make_mqtt_server(folder, settings)
    second.start()
    try:
        wait_until(_reached(listener, killed_ms), TIMEOUT, "readings after the restart")
    finally:
        second.kill()
        listener.close()
    received = _received(listener)
    run_one = [key for key in received if key[1] < killed_ms]
    assert run_one, "nothing from before the kill arrived"
    newest = max(ts for _, ts in run_one)
    # The outbox commits once a flush (0.5 s here): the last window before a SIGKILL may be
    # lost, as it is for the database; everything before it arrives.
    assert newest >= max(ts for _, ts in before_kill) - 1500
    missing = [key for key in before_kill if key[1] <= newest and key not in received]
    assert missing == []
