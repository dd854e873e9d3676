"""R4: fifty clients at once on every kind of endpoint: no errors, and sampling keeps its cadence.

The real server runs with the production sampling rate (20 Hz, one stored reading a second);
the clients share this machine's two cores with it, on loopback only. The load is bounded in
time (the budget's seconds) and in count (MAX_REQUESTS).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.reliability.support import APPLIANCE_IDS, Budget, Figures, PipedServer, make_piped_server

MAX_REQUESTS = 1_000_000  # a bound on the count, far above what the time allows
STREAM_EVENTS = 2  # an SSE client reads this many readings, then reconnects
STREAM_SECONDS = 5.0  # ... or gives up waiting after this long (an error)
REQUEST_TIMEOUT_SECONDS = 15.0


@dataclass
class Tally:
    """What the clients did."""

    requests: int = 0
    stream_events: int = 0
    downloaded_bytes: int = 0
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def production_paced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipedServer]:
    """A real server sampling at the production rate, flushing every second."""
    server = make_piped_server(
        tmp_path_factory.mktemp("load"),
        sampling={"interval_seconds": 1.0, "oversample_hz": 20.0},
        storage={"flush_interval_seconds": 1.0, "csv_interval_seconds": 1.0},
    )
    server.start()
    yield server
    assert server.stop() == 0, server.output()


Action = Callable[[httpx.AsyncClient, random.Random, Tally], Awaitable[None]]


async def _get_json(path: str, client: httpx.AsyncClient, tally: Tally, **params: object) -> None:
    response = await client.get(path, params=params)
    if response.status_code != 200:
        tally.errors.append(f"GET {path} {params}: {response.status_code} {response.text[:200]}")
        return
    response.json()  # must parse


async def _energy(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
    await _get_json("/energy", client, tally, applianceId=rng.choice(APPLIANCE_IDS))


async def _history(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
    limit = rng.choice([1, 24, 500])
    await _get_json("/energy/history", client, tally, applianceId=1, limit=limit)


async def _summary(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
    await _get_json("/energy/summary", client, tally, period=rng.choice(["day", "week", "month"]))


async def _historical(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
    await _get_json("/logs/historical-data", client, tally, days=rng.randint(1, 30))


def _plain(path: str) -> Action:
    async def action(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
        response = await client.get(path)
        if response.status_code != 200:
            tally.errors.append(f"GET {path}: {response.status_code}")

    return action


async def _download(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
    path = rng.choice(["/logs/download/energy-monitor", "/logs/download/api"])
    async with client.stream("GET", path) as response:
        if response.status_code != 200:
            tally.errors.append(f"GET {path}: {response.status_code}")
            return
        async for chunk in response.aiter_bytes():
            tally.downloaded_bytes += len(chunk)


async def _stream(client: httpx.AsyncClient, rng: random.Random, tally: Tally) -> None:
    params = {"applianceId": rng.choice(APPLIANCE_IDS)} if rng.random() < 0.5 else {}
    events = 0
    async with asyncio.timeout(STREAM_SECONDS):
        async with client.stream("GET", "/energy/stream", params=params) as response:
            if response.status_code != 200:
                tally.errors.append(f"stream: {response.status_code}")
                return
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    events += 1
                    if events >= STREAM_EVENTS:
                        break
    tally.stream_events += events


def _actions() -> list[tuple[Action, int]]:
    """Each endpoint with its weight: mostly the app's polling, some scrapes and downloads."""
    return [
        (_energy, 30),
        (_history, 15),
        (_summary, 8),
        (_historical, 8),
        (_plain("/appliances"), 8),
        (_plain("/health"), 8),
        (_plain("/metrics"), 8),
        (_download, 5),
        (_stream, 3),
    ]


async def _client(base_url: str, seed: int, deadline: float, tally: Tally) -> None:
    rng = random.Random(seed)
    actions = _actions()
    weights = [weight for _, weight in actions]
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        while time.monotonic() < deadline and tally.requests < MAX_REQUESTS:
            action = rng.choices([a for a, _ in actions], weights)[0]
            try:
                await action(client, rng, tally)
            except (httpx.HTTPError, TimeoutError, ValueError) as exc:
                tally.errors.append(f"{action.__name__}: {type(exc).__name__}: {exc}")
            tally.requests += 1


async def _load(base_url: str, clients: int, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(_client(base_url, seed, deadline, tally) for seed in range(clients)))
    return tally


def _cadence(client: httpx.Client) -> tuple[int, int, float]:
    """(ticks, missed periods, max lag in seconds) over all samplers."""
    samplers = client.get("/health").json()["samplers"]
    return (
        sum(s["ticks"] for s in samplers),
        sum(s["missed_periods"] for s in samplers),
        max(s["max_lag_seconds"] for s in samplers),
    )


def test_fifty_clients_on_mixed_endpoints_get_no_error_and_sampling_misses_no_period(
    production_paced: PipedServer, budget: Budget, figures: Figures, tmp_path: Path
) -> None:
    """Fifty concurrent clients polling, scraping, downloading and streaming for the budget's
    seconds all get 200s, and the sampler misses no period meanwhile."""
    with production_paced.client() as client:
        ticks_before, missed_before, _ = _cadence(client)
        tally = asyncio.run(
            _load(production_paced.base_url, budget.load_clients, budget.load_seconds)
        )
        ticks_after, missed_after, max_lag = _cadence(client)
    figures.add("R4 requests served", tally.requests)
    figures.add("R4 stream events received", tally.stream_events)
    figures.peak("R4 sampler max lag (s)", max_lag)
    assert tally.errors == []
    assert tally.stream_events > 0
    assert tally.downloaded_bytes > 0
    assert ticks_after > ticks_before
    assert missed_after == missed_before, f"{missed_after - missed_before} periods missed"
