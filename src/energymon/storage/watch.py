"""PastWatch: tells a cache whether anything before an instant changed since it looked.

Live readings arrive with stamps near now, so what lies further back is settled: it changes
only when the clock steps back, or by an import or a deletion. (Pruning deletes only what lies
before the horizon, which no plan answers from once it is past: a plan that read it changes.)
A reader `hold`s an instant before it reads; any change that touches an instant held since, or
that may touch any (`changed`), starts a new epoch, and what was read in an older epoch is no
longer to be trusted.
"""

from __future__ import annotations

import threading

from energymon.storage.tables import NOTHING_PRUNED_MS

__all__ = ["PastWatch"]


class PastWatch:
    """Epochs of the stored past: a new one whenever data before a held instant changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._epoch = 0
        self._held_ms = NOTHING_PRUNED_MS  # the latest instant held in this epoch
        self.prunes = 0  # pruning runs so far: what a kept run of the newest readings rests on

    def hold(self, before_ms: int) -> int:
        """Watch changes before `before_ms` from now on; returns the epoch to compare later."""
        with self._lock:
            self._held_ms = max(self._held_ms, before_ms)
            return self._epoch

    def epoch(self) -> int:
        """The epoch now: what was read in an older one may have changed since."""
        return self._epoch

    def touched(self, earliest_ms: int) -> None:
        """Readings stamped from `earliest_ms` on were added; a new epoch if that is held."""
        if earliest_ms < self._held_ms:  # read without the lock: held instants only rise
            self.changed()

    def pruned(self) -> None:
        """The oldest raw readings may be gone: only the newest readings' runs need know."""
        self.prunes += 1

    def changed(self) -> None:
        """Anything may have changed (an import, a deletion): a new epoch."""
        with self._lock:
            self._epoch += 1
            self._held_ms = NOTHING_PRUNED_MS
