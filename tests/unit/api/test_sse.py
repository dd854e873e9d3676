"""The SSE fan-out: readings cross from sampler threads without blocking them."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from zoneinfo import ZoneInfo

from energymon.api.sse import QUEUE_READINGS, ReadingStreams
from energymon.domain.model import Reading

Subscriber = Callable[[Reading], None]


class FakeMonitor:
    """Just the subscription part of the Monitor."""

    def __init__(self) -> None:
        self.subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Keep the subscriber until unsubscribed."""
        self.subscribers.append(subscriber)
        return lambda: self.subscribers.remove(subscriber)

    def publish(self, reading: Reading) -> None:
        """Call every subscriber, as a sampler thread does."""
        for subscriber in list(self.subscribers):
            subscriber(reading)


def _reading(n: int, appliance_id: int = 1) -> Reading:
    return Reading(appliance_id, 1_733_308_245_000 + n * 1000, float(n), 12.0, n / 12, 0.0, 1.0)


def _events(streams: ReadingStreams, appliance_id: int | None) -> AsyncIterator[str]:
    body = streams.response(appliance_id).body_iterator
    return body  # type: ignore[return-value]


async def _drain(events: AsyncIterator[str]) -> list[dict[str, object]]:
    return [json.loads(e.removeprefix("data: ")) async for e in events if e.startswith("data: ")]


def _publish_from_thread(monitor: FakeMonitor, readings: list[Reading]) -> None:
    thread = threading.Thread(target=lambda: [monitor.publish(r) for r in readings])
    thread.start()
    thread.join(5.0)
    assert not thread.is_alive(), "publishing blocked the sampler thread"


def test_a_slow_client_loses_its_oldest_readings_and_never_blocks_the_sampler() -> None:
    """More readings than the queue holds: the sampler goes on, the client gets the newest."""
    monitor = FakeMonitor()
    streams = ReadingStreams(monitor, ZoneInfo("UTC"))  # type: ignore[arg-type]
    total = QUEUE_READINGS + 44

    async def scenario() -> list[dict[str, object]]:
        events = _events(streams, None)
        assert (await anext(events)).startswith("retry:")
        _publish_from_thread(monitor, [_reading(n) for n in range(total)])
        await asyncio.sleep(0)  # run the callbacks the thread queued
        streams.close()
        return await _drain(events)

    received = asyncio.run(scenario())
    assert [event["watts"] for event in received] == [float(n) for n in range(45, total)]
    assert monitor.subscribers == []


def test_a_stream_for_one_appliance_gets_only_its_readings() -> None:
    """applianceId filters the stream."""
    monitor = FakeMonitor()
    streams = ReadingStreams(monitor, ZoneInfo("Europe/Berlin"))  # type: ignore[arg-type]

    async def scenario() -> list[dict[str, object]]:
        events = _events(streams, 2)
        await anext(events)
        _publish_from_thread(monitor, [_reading(1, 1), _reading(2, 2), _reading(3, 3)])
        await asyncio.sleep(0)
        streams.close()
        return await _drain(events)

    received = asyncio.run(scenario())
    assert [(e["applianceId"], e["timestamp"]) for e in received] == [(2, "2024-12-04T11:30:47")]


def test_an_idle_stream_sends_keepalive_comments() -> None:
    """Without readings, a comment line keeps proxies from closing the connection."""
    monitor = FakeMonitor()
    streams = ReadingStreams(monitor, ZoneInfo("UTC"), keepalive_seconds=0.01)  # type: ignore[arg-type]

    async def scenario() -> str:
        events = _events(streams, None)
        await anext(events)
        comment = await anext(events)
        streams.close()
        assert await _drain(events) == []
        return comment

    assert asyncio.run(scenario()) == ": keep-alive\n\n"


def test_a_client_that_leaves_mid_send_is_unsubscribed_at_once() -> None:
    """The client stops reading and disconnects while an event waits to be sent: the stream
    unsubscribes when the response ends, not when the garbage collector finds it."""
    monitor = FakeMonitor()
    streams = ReadingStreams(monitor, ZoneInfo("UTC"))  # type: ignore[arg-type]

    async def scenario() -> None:
        left = asyncio.Event()
        response = streams.response(None)

        async def receive() -> dict[str, object]:
            await left.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, object]) -> None:
            body = message.get("body", b"")
            assert isinstance(body, bytes)
            if body.startswith(b"retry:"):
                monitor.publish(_reading(1))
            elif body.startswith(b"data:"):
                left.set()  # the client leaves without taking this event
                await asyncio.Event().wait()

        await response({"type": "http"}, receive, send)  # type: ignore[arg-type]
        assert (streams.client_count, monitor.subscribers) == (0, [])

    asyncio.run(scenario())
