"""The logs the API offers as downloads, as byte chunks: routes never see a path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["LogFiles"]

Chunks = Callable[[], Iterator[bytes]]


def _nothing() -> Iterator[bytes]:
    return iter(())


@dataclass(frozen=True, slots=True)
class LogFiles:
    """The seed's CSV energy log and the API access log, each read oldest first when called.

    The composition root binds them to their files; an access log that is off reads empty.
    """

    energy_log: Chunks
    access_log: Chunks = _nothing
