"""Many rows into SQLite in few statement steps, so that a busy thread cannot stall a flush."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from itertools import chain, islice

__all__ = ["MAX_ROWS_PER_STATEMENT", "BatchInsert"]

MAX_ROWS_PER_STATEMENT = 1024

Row = tuple[object, ...]


class BatchInsert:
    """An INSERT (or upsert) of many rows, up to 1,024 rows per statement.

    Why: the sqlite3 module releases the GIL around every step of a statement, and a thread
    busy in Python (a sampler in a burst) then keeps it for up to the switch interval before
    the writer gets it back. Row by row, a flush beside such a thread crawled at about 1,000
    rows/s; a step per thousand rows makes those waits a thousand times rarer (and the
    inserts are faster anyway). Rows are sent in statements of power-of-two sizes, so a
    connection compiles at most eleven of them per table and reuses them from its cache.

    Args:
        head: the statement up to VALUES, e.g. "INSERT INTO t (a, b)".
        width: the parameters of one row.
        tail: what follows the VALUES list (an ON CONFLICT clause).
        row: one row's values, if not `width` parameters: "(?, NULL, ?)" has width 2.
    """

    def __init__(self, head: str, width: int, tail: str = "", row: str | None = None) -> None:
        self._head = head
        self._width = width
        self._tail = tail
        self._row = row or "(" + ", ".join("?" * width) + ")"
        self._sql: dict[int, str] = {}

    def _statement(self, rows: int) -> str:
        sql = self._sql.get(rows)
        if sql is None:
            values = ", ".join([self._row] * rows)
            sql = self._sql[rows] = self._head + " VALUES " + values + " " + self._tail
        return sql

    def run(self, conn: sqlite3.Connection, rows: Iterable[Row]) -> None:
        """Insert `rows`: in statements of the largest size first, then halving sizes."""
        # A system's SQLite may allow as few as 999 parameters (the limit before 3.32).
        allowed = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // self._width
        size = 1 << (min(MAX_ROWS_PER_STATEMENT, max(allowed, 1)).bit_length() - 1)
        rest: list[Row] = []

        def full_statements(iterator: Iterator[Row]) -> Iterator[Row]:
            nonlocal rest
            while len(chunk := list(islice(iterator, size))) == size:
                yield tuple(chain.from_iterable(chunk))
            rest = chunk

        conn.executemany(self._statement(size), full_statements(iter(rows)))
        while rest:
            size //= 2
            if len(rest) >= size:
                part, rest = rest[:size], rest[size:]
                conn.execute(self._statement(size), tuple(chain.from_iterable(part)))
