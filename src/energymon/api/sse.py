"""GET /energy/stream: every new reading as a Server-Sent Event.

Hand-rolled on StreamingResponse rather than sse-starlette: the wire format is three lines, and
the part that matters, getting readings from a sampler thread to each client without ever
blocking that thread, is ours either way. A sampler-thread callback hands each reading to the
event loop with `call_soon_threadsafe`; each client has its own bounded queue that drops its
oldest entry when full, so a slow client loses readings (and only its own), never delays one.

A client that leaves is unsubscribed when its response ends (`_EventStream`). Starlette does not
close a body generator that waits at a `yield` when the client goes (its send was cancelled):
left to the garbage collector, the runner would go on feeding the departed client until a full
collection happened to find it, which is later the more the process holds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from typing import Protocol
from zoneinfo import ZoneInfo

import structlog
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from energymon.api.schemas import ReadingOut
from energymon.domain.model import Reading

__all__ = ["ReadingStreams", "Subscriptions"]

log = structlog.get_logger("energymon.sse")

QUEUE_READINGS = 256  # about a minute of three appliances at 1 Hz before dropping
KEEPALIVE_SECONDS = 15.0  # below the 30-60 s idle timeouts of common proxies
RETRY_MILLISECONDS = 3000  # how long a browser waits before reconnecting


class Subscriptions(Protocol):
    """What the streams need of the service: its runner's `subscribe`."""

    def subscribe(self, subscriber: Callable[[Reading], None]) -> Callable[[], None]:
        """Call `subscriber` on a sampler thread for each new reading; returns the undo."""
        ...


class _Client:
    """One connected stream: its loop, its queue and how much it dropped."""

    def __init__(self, loop: asyncio.AbstractEventLoop, appliance_id: int | None) -> None:
        self.loop = loop
        self.appliance_id = appliance_id
        self.queue: asyncio.Queue[Reading | None] = asyncio.Queue(QUEUE_READINGS)
        self.dropped = 0

    def offer(self, reading: Reading) -> None:
        """Called on a sampler thread: hand the reading to the loop, never wait."""
        if self.appliance_id is not None and reading.appliance_id != self.appliance_id:
            return
        with contextlib.suppress(RuntimeError):  # loop closed: the server and stream are gone
            self.loop.call_soon_threadsafe(self.put, reading)

    def put(self, item: Reading | None) -> None:
        """On the loop: enqueue, dropping the oldest entry when the client lags."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(item)


class _EventStream(StreamingResponse):
    """A text/event-stream response that closes its generator however the response ends."""

    def __init__(self, events: AsyncGenerator[str, None]) -> None:
        super().__init__(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self._events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream; then run the generator's cleanup at once (it never awaits, so it completes
        even in a cancelled task)."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._events.aclose()


class ReadingStreams:
    """The SSE clients of one app, fed by the runner's subscriber callbacks."""

    def __init__(
        self,
        readings: Subscriptions,
        zone: ZoneInfo,
        *,
        keepalive_seconds: float = KEEPALIVE_SECONDS,
    ) -> None:
        self.readings = readings
        self.zone = zone
        self.keepalive_seconds = keepalive_seconds
        # Touched only on the event loop, so no lock: close() may then run from a signal
        # handler's call_soon_threadsafe without any risk of deadlock.
        self._clients: set[_Client] = set()
        self._closed = False

    @property
    def client_count(self) -> int:
        """How many streams are open."""
        return len(self._clients)

    def close(self) -> None:
        """End every open stream and refuse new ones (server shutdown; on the event loop)."""
        self._closed = True
        for client in list(self._clients):
            client.put(None)  # None ends a stream

    def response(self, appliance_id: int | None) -> StreamingResponse:
        """The streaming response for one client."""
        return _EventStream(self._events(appliance_id))

    async def _events(self, appliance_id: int | None) -> AsyncGenerator[str, None]:
        client = _Client(asyncio.get_running_loop(), appliance_id)
        if self._closed:
            return
        self._clients.add(client)
        unsubscribe = self.readings.subscribe(client.offer)
        try:
            yield f"retry: {RETRY_MILLISECONDS}\n\n"
            while True:
                try:
                    reading = await asyncio.wait_for(client.queue.get(), self.keepalive_seconds)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if reading is None:  # close() asked us to end
                    return
                event = ReadingOut.model_validate(
                    ReadingOut.row(reading, self.zone)
                ).model_dump_json(by_alias=True)
                yield f"data: {event}\n\n"
        finally:
            unsubscribe()
            self._clients.discard(client)
            if client.dropped:
                log.info("slow stream client dropped readings", dropped=client.dropped)
