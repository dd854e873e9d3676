"""AnswerMemo: the last body of each question, given again on the event loop while nothing changed.

An app polling faster than readings arrive, or several clients asking the same question (the
phone, the dashboard, Grafana), get the body written for the first: while the store's change
mark (api's view of ReadingStore.change_mark) is the same and the body is younger than
MAX_AGE_SECONDS, a query would write the same bytes again. The age bound is there because the
ranges end at now and move with the clock, and because another process's import is noticed only
by the next query; so a repeated answer is at most that old. Given on the event loop, a kept
body also saves the hop to the thread pool a query takes, most of a small answer's cost.

Questions asked while their body is being written wait for it rather than write it again. A
request with `Cache-Control: no-cache` is always answered afresh (and keeps what it wrote).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from energymon.api.gzipped import accepts_gzip, json_response
from energymon.service.queries import Queries

__all__ = ["MAX_AGE_SECONDS", "AnswerMemo", "remembered", "wants_fresh"]

MAX_AGE_SECONDS = 1.0  # readings arrive every second: an answer older than one is not kept
MAX_BYTES = 4 << 20  # all kept bodies together: a bound on the memory they take
MAX_BODY_BYTES = 1 << 20  # a longer body (10,000 readings uncompressed) is not kept


@dataclass(frozen=True, slots=True)
class _Kept:
    mark: Hashable
    written_at: float  # when writing it began: its age is never understated
    body: bytes


def wants_fresh(request: Request) -> bool:
    """Whether the client asks for an answer not given from a cache (RFC 9111 no-cache)."""
    directives = request.headers.get("cache-control", "").lower()
    return "no-cache" in directives or "max-age=0" in directives


class AnswerMemo:
    """Bodies by question, each with the change mark it was written at (see the module).

    Used from the event loop only, so it needs no lock.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_age_seconds: float = MAX_AGE_SECONDS,
        max_bytes: int = MAX_BYTES,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._clock = clock
        self._max_age_seconds = max_age_seconds
        self._max_bytes = max_bytes
        self._max_body_bytes = max_body_bytes
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._bytes = 0
        self._writing: dict[tuple[Hashable, Hashable], asyncio.Future[bytes]] = {}
        self.given_again = 0  # answers given from a kept body or a shared write
        self.written = 0

    @property
    def kept_bytes(self) -> int:
        """The size of the bodies kept now."""
        return self._bytes

    async def body(
        self, key: Hashable, mark: Hashable, write: Callable[[], bytes], *, fresh: bool = False
    ) -> bytes:
        """The body for `key`: kept, being written, or written now by `write` in the thread pool.

        `mark` is the store's change mark read before `write` runs, so a change while it runs
        leaves a body that the next question does not take.
        """
        started = self._clock()
        if not fresh:
            kept = self._kept.get(key)
            young = kept is not None and started - kept.written_at < self._max_age_seconds
            if kept is not None and young and kept.mark == mark:
                self._kept.move_to_end(key)
                self.given_again += 1
                return kept.body
            writing = self._writing.get((key, mark))
            if writing is not None:
                self.given_again += 1
                return await asyncio.shield(writing)
        return await self._write(key, mark, write, started)

    async def _write(
        self, key: Hashable, mark: Hashable, write: Callable[[], bytes], started: float
    ) -> bytes:
        flight: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._writing.setdefault((key, mark), flight)
        try:
            body = await run_in_threadpool(write)
        except asyncio.CancelledError:
            flight.cancel()
            raise
        except Exception as error:
            flight.set_exception(error)
            flight.exception()  # retrieved: nobody waiting is no "never retrieved" warning
            raise
        finally:
            if self._writing.get((key, mark)) is flight:
                del self._writing[key, mark]
        flight.set_result(body)
        self.written += 1
        self._keep(key, _Kept(mark, started, body))
        return body

    def _keep(self, key: Hashable, kept: _Kept) -> None:
        old = self._kept.get(key)
        if old is not None and old.written_at > kept.written_at:
            return  # a later write finished first: it rests on a newer mark
        if old is not None:
            self._bytes -= len(self._kept.pop(key).body)
        if len(kept.body) > self._max_body_bytes:
            return
        self._kept[key] = kept
        self._bytes += len(kept.body)
        while self._bytes > self._max_bytes:
            self._bytes -= len(self._kept.popitem(last=False)[1].body)


async def remembered(
    request: Request, queries: Queries, key: Hashable, write: Callable[[bool], bytes]
) -> Response:
    """The JSON answer for `key` (the route's name and parameters) from the app's memo, written
    by `write` when none is good. `write` gets whether the client takes gzip, which is part of
    the key."""
    memo: AnswerMemo = request.app.state.answer_memo
    gzip = accepts_gzip(request)
    body = await memo.body(
        (key, gzip), queries.change_mark(), lambda: write(gzip), fresh=wants_fresh(request)
    )
    return json_response(body)
