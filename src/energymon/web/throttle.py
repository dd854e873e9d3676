"""Wrong keys at the sign-in page, counted per client, so nobody can guess the key quickly.

A client that gave `max_failures` wrong keys within `window_seconds` is refused (429 with
Retry-After) until the oldest of them leaves the window; while refused, no key is checked at
all, so the right key does not get through either (or a guesser could tell it apart). A
right key clears the client's count. At the defaults, five tries a minute, a key of the
installer's 32 random bytes is out of reach of guessing; a short key chosen by hand is not, so
the README says to use the generated one.

Clients are told apart by address: `scope["client"]`, which uvicorn takes from
X-Forwarded-For only when the request comes from a trusted proxy (FORWARDED_ALLOW_IPS,
loopback by default). Memory is bounded: at most `max_clients` addresses are remembered.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque

from energymon.service.clock import Clock

__all__ = ["SignInThrottle"]

MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
MAX_CLIENTS = 4096


class SignInThrottle:
    """Failed sign-ins per client address over a sliding window, on the monotonic clock."""

    def __init__(
        self,
        clock: Clock,
        *,
        max_failures: int = MAX_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self._clock = clock
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._max_clients = max_clients
        # Oldest-touched first, so the least recently active client is forgotten first.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after_seconds(self, client: str) -> int | None:
        """Whole seconds until `client` may try again, or None when it may try now."""
        failures = self._recent(client)
        if len(failures) < self.max_failures:
            return None
        wait = failures[0] + self.window_seconds - self._clock.monotonic()
        return max(1, math.ceil(wait))

    def failed(self, client: str) -> None:
        """Count a wrong key from `client`."""
        failures = self._recent(client)
        failures.append(self._clock.monotonic())
        self._failures[client] = failures
        self._failures.move_to_end(client)
        while len(self._failures) > self._max_clients:
            self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        """Forget `client`'s wrong keys: it knows the key."""
        self._failures.pop(client, None)

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.get(client, deque())
        horizon = self._clock.monotonic() - self.window_seconds
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            self._failures.pop(client, None)
        return failures
