"""/energy/history answers from each appliance's newest readings, kept encoded between requests.

The last `limit` readings (up to 10,000) move on every second, but only at their new end: what
was stamped before `SETTLED_AFTER_SECONDS` ago stays as it is until the past changes (an import,
a deletion, a clock stepped back) or pruning drops the oldest, which the store's PastWatch tells
by the mark it hands out. So each appliance's settled readings are kept as JSON text, sealed in
blocks of BLOCK_ITEMS with their deflate blocks; a request encodes only the readings after them,
and compresses only the oldest block it starts inside and what follows the last sealed block.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import accumulate

from energymon.api.encode import reading_items
from energymon.api.gzipped import GZIP_MINIMUM_BYTES, deflate, member
from energymon.service.queries import Queries

__all__ = ["BLOCK_ITEMS", "MAX_KEPT", "RecentAnswers"]

MAX_KEPT = 10_000  # items kept per appliance: the route's largest limit
BLOCK_ITEMS = 256  # items sealed together: ~35 KiB of text, compressed once


@dataclass(frozen=True, slots=True)
class _Block:
    """Sealed items, each after a comma, their deflate blocks, and where each item's comma is."""

    plain: bytes
    packed: bytes
    starts: tuple[int, ...]

    @classmethod
    def of(cls, items: list[str]) -> _Block:
        """The block of `items`, oldest first."""
        texts = [f",{item}".encode() for item in items]
        plain = b"".join(texts)
        return cls(plain, deflate(plain), (0, *accumulate(map(len, texts[:-1]))))


@dataclass(frozen=True, slots=True)
class _Kept:
    """An appliance's settled readings before `until_ms`: sealed blocks, then open items."""

    until_ms: int
    mark: tuple[int, int]
    blocks: tuple[_Block, ...] = ()
    open_items: tuple[str, ...] = ()
    complete: bool = True  # every reading before `until_ms`, none dropped for MAX_KEPT

    @property
    def count(self) -> int:
        """How many items are kept."""
        return len(self.blocks) * BLOCK_ITEMS + len(self.open_items)

    def extended(self, until_ms: int, mark: tuple[int, int], items: list[str], most: int) -> _Kept:
        """These items and `items` after them, the oldest blocks dropped past `most` items."""
        pending = [*self.open_items, *items]
        blocks = list(self.blocks)
        while len(pending) >= BLOCK_ITEMS:
            blocks.append(_Block.of(pending[:BLOCK_ITEMS]))
            pending = pending[BLOCK_ITEMS:]
        dropped = 0
        while (len(blocks) - dropped - 1) * BLOCK_ITEMS + len(pending) >= most:
            dropped += 1
        complete = self.complete and not dropped
        return _Kept(until_ms, mark, tuple(blocks[dropped:]), tuple(pending), complete)

    def pieces(self, count: int) -> list[tuple[bytes, bytes | None]]:
        """The text of the newest `count` items (at most all), each piece after a comma, with
        its deflate blocks where they are kept."""
        newest = self.open_items[max(0, len(self.open_items) - count) :]
        taken = [f",{item}".encode() for item in newest]
        pieces: list[tuple[bytes, bytes | None]] = [(b"".join(taken), None)] if taken else []
        left = count - len(taken)
        for block in reversed(self.blocks):
            if left <= 0:
                break
            if left >= BLOCK_ITEMS:
                pieces.append((block.plain, block.packed))
            else:
                pieces.append((block.plain[block.starts[BLOCK_ITEMS - left] :], None))
            left -= BLOCK_ITEMS
        pieces.reverse()
        return pieces


class RecentAnswers:
    """Answers of /energy/history, each appliance's settled readings kept (see the module)."""

    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self._max_kept = max_kept
        self._lock = threading.Lock()
        self._kept: dict[int, _Kept] = {}

    def body(self, queries: Queries, appliance_id: int, limit: int, gzip: bool) -> bytes:
        """HistoryResponse's JSON of the last `limit` readings of one appliance, gzip-compressed
        when `gzip` and it is long enough to be worth it."""
        if limit <= BLOCK_ITEMS:  # a short answer costs less read and written whole
            items = reading_items(queries.history(appliance_id, limit), queries.zone)
            return _answer([(f"[{','.join(items)}]}}".encode(), None)], gzip)
        with self._lock:
            kept = self._kept.get(appliance_id)
        since = None if kept is None else (kept.until_ms, kept.mark)
        part = queries.history_part(appliance_id, limit, since)
        short = kept is not None and not kept.complete and limit - len(part.readings) > kept.count
        if kept is not None and part.from_ms == kept.until_ms and short:  # too few kept
            part = queries.history_part(appliance_id, limit, None)
        if kept is None or part.from_ms != kept.until_ms:  # the last `limit`, not all of them
            kept = _Kept(0, (-1, -1), complete=len(part.readings) < limit)
        cut = next(
            (i for i, r in enumerate(part.readings) if r.timestamp_ms >= part.settled_ms),
            len(part.readings),
        )
        kept = kept.extended(
            part.settled_ms,
            part.mark or (-1, -1),
            reading_items(part.readings[:cut], queries.zone),
            max(self._max_kept, limit),
        )
        if part.mark is not None:
            with self._lock:
                self._kept[appliance_id] = kept
        fresh = reading_items(part.readings[cut:][-limit:], queries.zone)
        pieces = kept.pieces(limit - len(fresh))
        pieces.append(("".join(f",{item}" for item in fresh).encode(), None))
        first = pieces[0][0]
        pieces[0] = (b"[" + first[1:] if first else b"[", None)  # no comma before the first
        pieces.append((b"]}", None))
        return _answer(pieces, gzip)


def _answer(pieces: list[tuple[bytes, bytes | None]], gzip: bool) -> bytes:
    """`{"data":` and the pieces (the list), compressed when `gzip` and long enough."""
    pieces = [(b'{"data":' + pieces[0][0], None), *pieces[1:]]
    if not gzip or sum(len(text) for text, _ in pieces) < GZIP_MINIMUM_BYTES:
        return b"".join(text for text, _ in pieces)
    return member(pieces)
