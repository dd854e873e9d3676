"""/energy/history answers from each appliance's newest readings, kept encoded between requests.

The last `limit` readings (up to 10,000) move on every second, but only at their new end: what
was stamped before `SETTLED_AFTER_SECONDS` ago stays as it is until the past changes (an import,
a deletion, a clock stepped back) or pruning drops the oldest, which the store's PastWatch tells
by the mark it hands out. So each appliance's settled readings are kept as JSON items, and a
request reads and encodes only the readings after them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from energymon.api.encode import reading_items
from energymon.service.queries import Queries

__all__ = ["MAX_KEPT", "RecentAnswers"]

MAX_KEPT = 10_000  # items kept per appliance: the route's largest limit


@dataclass(frozen=True, slots=True)
class _Kept:
    """An appliance's settled readings as JSON items, oldest first, up to `until_ms`."""

    until_ms: int
    mark: tuple[int, int]
    items: list[str]
    complete: bool  # every reading before `until_ms`, not only the newest MAX_KEPT


class RecentAnswers:
    """Answers of /energy/history, each appliance's settled readings kept (see the module)."""

    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self._max_kept = max_kept
        self._lock = threading.Lock()
        self._kept: dict[int, _Kept] = {}

    def body(self, queries: Queries, appliance_id: int, limit: int) -> bytes:
        """HistoryResponse's JSON of the last `limit` readings of one appliance."""
        with self._lock:
            kept = self._kept.get(appliance_id)
        since = None if kept is None else (kept.until_ms, kept.mark)
        part = queries.history_part(appliance_id, limit, since)
        if kept is not None and part.from_ms == kept.until_ms:
            need = limit - len(part.readings)
            if need > len(kept.items) and not kept.complete:  # kept too few: all again
                part = queries.history_part(appliance_id, limit, None)
        if kept is None or part.from_ms != kept.until_ms:
            kept = _Kept(part.from_ms or 0, (-1, -1), [], len(part.readings) < limit)
        cut = next(
            (i for i, r in enumerate(part.readings) if r.timestamp_ms >= part.settled_ms),
            len(part.readings),
        )
        settled = reading_items(part.readings[:cut], queries.zone)
        fresh = reading_items(part.readings[cut:], queries.zone)
        items = kept.items + settled
        if part.mark is not None:
            trimmed = items[-self._max_kept :]
            complete = kept.complete and len(trimmed) == len(items)
            with self._lock:
                self._kept[appliance_id] = _Kept(part.settled_ms, part.mark, trimmed, complete)
        answer = (items + fresh)[-limit:]
        return f'{{"data":[{",".join(answer)}]}}'.encode()
