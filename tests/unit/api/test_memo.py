"""AnswerMemo gives a body again only while its change mark holds and it is young."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from energymon.api.memo import AnswerMemo


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Writer:
    """Writes numbered bodies and counts its calls."""

    def __init__(self, size: int = 10) -> None:
        self.calls = 0
        self.size = size

    def __call__(self) -> bytes:
        self.calls += 1
        return str(self.calls).encode().ljust(self.size, b" ")


def ask(
    memo: AnswerMemo, key: object, mark: object, write: Callable[[], bytes], **kw: bool
) -> bytes:
    return asyncio.run(memo.body(key, mark, write, **kw))


def test_the_same_question_at_the_same_mark_is_given_the_kept_body() -> None:
    """Asked again while nothing changed and within the age, the body is not written again."""
    memo, write = AnswerMemo(clock=Clock()), Writer()
    first = ask(memo, "q", (1, 0, 0), write)
    assert ask(memo, "q", (1, 0, 0), write) == first
    assert (write.calls, memo.given_again, memo.written) == (1, 1, 1)


def test_a_moved_mark_another_question_or_no_cache_write_it_again() -> None:
    """A change in the store, another key and a no-cache request each get a fresh body."""
    memo, write = AnswerMemo(clock=Clock()), Writer()
    ask(memo, "q", (1, 0, 0), write)
    assert ask(memo, "q", (2, 0, 0), write).strip() == b"2"
    assert ask(memo, "other", (2, 0, 0), write).strip() == b"3"
    assert ask(memo, "q", (2, 0, 0), write, fresh=True).strip() == b"4"
    assert ask(memo, "q", (2, 0, 0), write).strip() == b"4"  # the fresh body is kept
    assert write.calls == 4


def test_a_body_older_than_the_age_bound_is_written_again() -> None:
    """Ranges end at now: a body is given again for less than max_age_seconds only."""
    clock = Clock()
    memo, write = AnswerMemo(clock=clock, max_age_seconds=1.0), Writer()
    ask(memo, "q", 0, write)
    clock.now += 0.99
    assert ask(memo, "q", 0, write).strip() == b"1"
    clock.now += 0.02  # 1.01 s after the first began
    assert ask(memo, "q", 0, write).strip() == b"2"


def test_questions_asked_while_their_body_is_written_share_the_write() -> None:
    """Sixteen clients asking at once cause one write, and all get its body."""
    memo = AnswerMemo(clock=Clock())
    release = threading.Event()
    calls = []

    def slow() -> bytes:
        calls.append(1)
        assert release.wait(10.0)
        return b"body"

    async def scenario() -> list[bytes]:
        tasks = [asyncio.create_task(memo.body("q", 7, slow)) for _ in range(16)]
        while memo.given_again < 15:  # each of the others found the write under way
            await asyncio.sleep(0)
        release.set()
        return await asyncio.gather(*tasks)

    assert asyncio.run(scenario()) == [b"body"] * 16
    assert len(calls) == 1


def test_an_error_reaches_every_waiter_and_nothing_is_kept() -> None:
    """A write that raises (an unknown appliance: 404) raises for all who waited on it."""
    memo = AnswerMemo(clock=Clock())
    release = threading.Event()

    def failing() -> bytes:
        assert release.wait(10.0)
        raise LookupError("no appliance 9")

    async def scenario() -> list[BaseException | bytes]:
        tasks = [asyncio.create_task(memo.body("q", 0, failing)) for _ in range(3)]
        while memo.given_again < 2:
            await asyncio.sleep(0)
        release.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(scenario())
    assert all(isinstance(r, LookupError) for r in results)
    assert memo.kept_bytes == 0
    assert ask(memo, "q", 0, Writer()).strip() == b"1"


@pytest.mark.parametrize("count", [1, 50])
def test_kept_bodies_stay_within_their_byte_bounds(count: int) -> None:
    """The least recently asked bodies go first past max_bytes; one too long is never kept."""
    memo = AnswerMemo(clock=Clock(), max_bytes=1000, max_body_bytes=400)
    for key in range(count):
        ask(memo, key, 0, Writer(size=300))
        assert memo.kept_bytes <= 1000
    assert memo.kept_bytes == min(count, 3) * 300
    write = Writer(size=500)
    ask(memo, "long", 0, write)
    ask(memo, "long", 0, write)
    assert write.calls == 2
