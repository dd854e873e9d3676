"""/logs/historical-data answers, their settled part kept encoded and compressed between requests.

Only the newest points and today's statistics change as readings arrive: a point group or a day
that ended before `SETTLED_AFTER_SECONDS` ago changes only when the stored past does (an import,
a deletion, pruning, a clock stepped back), which the store's PastWatch reports. So each answer
keeps its settled items as JSON text and as raw deflate blocks that end on a byte boundary; a
request encodes and compresses only the rest, and joins the pieces into one gzip member (RFC 1952:
deflate blocks may follow each other, the CRC-32 runs over the whole text).
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from energymon.api.encode import day_items, reading_items
from energymon.api.gzipped import GZIP_HEADER, GZIP_MINIMUM_BYTES, deflate
from energymon.domain.buckets import local_date
from energymon.service.queries import Queries
from energymon.storage.history import Settled

__all__ = ["HistoricalAnswers"]

MAX_ANSWERS = 32  # kept answers (days x appliance), the least recently asked dropped first
_OPEN, _BETWEEN, _CLOSE = b'{"data":[', b'],"daily_stats":[', b"]}"


@dataclass(frozen=True, slots=True)
class _Piece:
    """JSON items joined by commas, as raw deflate blocks, with the CRC-32 of `lead` and them.

    `plain` is kept only when asked: the points are inflated again for the rare client that
    takes no gzip, so a kept answer costs its compressed size.
    """

    lead: bytes
    crc: int
    size: int = 0
    packed: bytes = b""
    plain: bytes | None = b""

    @classmethod
    def empty(cls, lead: bytes, *, keep_plain: bool) -> _Piece:
        """A piece without items, after `lead`."""
        return cls(lead, zlib.crc32(lead), plain=b"" if keep_plain else None)

    def extended(self, items: list[str]) -> _Piece:
        """This piece with more items after it."""
        if not items:
            return self
        text = (b"," if self.size else b"") + ",".join(items).encode()
        return _Piece(
            self.lead,
            zlib.crc32(text, self.crc),
            self.size + len(text),
            self.packed + deflate(text),
            None if self.plain is None else self.plain + text,
        )

    def text(self) -> bytes:
        """The items' JSON text."""
        if self.plain is not None:
            return self.plain
        return zlib.decompressobj(-zlib.MAX_WBITS).decompress(self.packed)

    def joint(self, items: list[str]) -> bytes:
        """The text that follows this piece to add `items`: a comma first when both have some."""
        text = ",".join(items).encode()
        return b"," + text if self.size and text else text


@dataclass(frozen=True, slots=True)
class _Kept:
    """The settled part of one answer: what it rests on, its points and its days."""

    settled: Settled
    data: _Piece
    days: _Piece


class HistoricalAnswers:
    """Answers of /logs/historical-data, each with its settled part kept (see the module)."""

    def __init__(self, zone: ZoneInfo, max_answers: int = MAX_ANSWERS) -> None:
        self.zone = zone
        self._max_answers = max_answers
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[int, int | None], _Kept] = OrderedDict()
        self._open_packed = deflate(_OPEN)

    def body(self, queries: Queries, days: int, appliance_id: int | None, gzip: bool) -> bytes:
        """The answer's JSON, gzip-compressed when `gzip` and it is long enough to be worth it."""
        key = (days, appliance_id)
        with self._lock:
            kept = self._kept.get(key)
        known = kept.settled if kept is not None else None
        part, priced = queries.historical_part(days, appliance_id, known)
        if kept is None or (kept.settled.plan, kept.settled.until_ms) != (part.plan, part.from_ms):
            kept = _Kept(
                Settled(part.plan, part.from_ms, -1),
                _Piece.empty(_OPEN, keep_plain=False),
                _Piece.empty(b"", keep_plain=True),  # its CRC-32 follows the points' tail
            )
        cut_ms = part.settled_ms
        cut = next((i for i, r in enumerate(part.readings) if r.timestamp_ms >= cut_ms), None)
        cut = len(part.readings) if cut is None else cut
        first_open_day = local_date(cut_ms, self.zone)
        day_cut = next((i for i, d in enumerate(priced) if d.stats.date >= first_open_day), None)
        day_cut = len(priced) if day_cut is None else day_cut
        kept = _Kept(
            Settled(part.plan, cut_ms, -1 if part.epoch is None else part.epoch),
            kept.data.extended(reading_items(part.readings[:cut], self.zone)),
            kept.days.extended(day_items(priced[:day_cut])),
        )
        if part.epoch is not None:  # else the past changed while it was read: keep none of it
            self._keep(key, kept)
        data_tail = kept.data.joint(reading_items(part.readings[cut:], self.zone))
        days_tail = kept.days.joint(day_items(priced[day_cut:]))
        size = len(_OPEN) + kept.data.size + len(data_tail) + len(_BETWEEN)
        size += kept.days.size + len(days_tail) + len(_CLOSE)
        if not gzip or size < GZIP_MINIMUM_BYTES:
            texts = (kept.data.text(), data_tail, _BETWEEN, kept.days.text(), days_tail, _CLOSE)
            return _OPEN + b"".join(texts)
        crc = kept.data.crc  # of the opening and the kept points
        for text in (data_tail, _BETWEEN, kept.days.text(), days_tail, _CLOSE):
            crc = zlib.crc32(text, crc)
        return b"".join(
            (
                GZIP_HEADER,
                self._open_packed,
                kept.data.packed,
                deflate(data_tail + _BETWEEN),
                kept.days.packed,
                deflate(days_tail + _CLOSE, last=True),
                struct.pack("<II", crc, size & 0xFFFFFFFF),
            )
        )

    def _keep(self, key: tuple[int, int | None], kept: _Kept) -> None:
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self._max_answers:
                self._kept.popitem(last=False)
