"""The sign-in throttle: wrong keys per client over a sliding window."""

from __future__ import annotations

from energymon.service.clock import ManualClock
from energymon.web.throttle import SignInThrottle


def test_client_is_refused_after_max_failures_until_the_oldest_leaves_the_window() -> None:
    """Five wrong keys in a minute block that client for what is left of the minute."""
    clock = ManualClock()
    throttle = SignInThrottle(clock, max_failures=5, window_seconds=60)
    for _ in range(4):
        throttle.failed("10.0.0.2")
        clock.advance(10)
    assert throttle.retry_after_seconds("10.0.0.2") is None
    throttle.failed("10.0.0.2")
    assert throttle.retry_after_seconds("10.0.0.2") == 20  # the first failure was 40 s ago
    assert throttle.retry_after_seconds("10.0.0.3") is None  # others are not affected
    clock.advance(20)
    assert throttle.retry_after_seconds("10.0.0.2") is None


def test_success_forgets_the_failures() -> None:
    """The right key clears the client's count."""
    throttle = SignInThrottle(ManualClock(), max_failures=2)
    throttle.failed("a")
    throttle.succeeded("a")
    throttle.failed("a")
    assert throttle.retry_after_seconds("a") is None


def test_memory_is_bounded_by_forgetting_the_least_recent_client() -> None:
    """Past max_clients addresses, the one least recently seen is forgotten."""
    throttle = SignInThrottle(ManualClock(), max_failures=1, max_clients=2)
    for client in ("a", "b", "c"):
        throttle.failed(client)
    assert throttle.retry_after_seconds("a") is None
    assert throttle.retry_after_seconds("b") is not None
    assert throttle.retry_after_seconds("c") is not None
