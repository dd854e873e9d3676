"""History answered in parts (a kept settled start plus what came after) equals the whole answer.

A fixed week in Europe/Berlin across the spring DST change: three appliances, one missing for
hours and one starting late, imported days without volts and amps, readings still buffered. The
clock then runs on past midnight while readings arrive and pruning runs; the past changes once
by an import and once by a clock stepped back. At every step each range is answered in parts,
as a cache keeps them, and compared with the implementation from before
(tests.support.history_reference) and, through the API's encoder, with pydantic's bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import math
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from energymon.api.historical import HistoricalAnswers
from energymon.api.recent import RecentAnswers
from energymon.api.schemas import HistoricalResponse, HistoryResponse
from energymon.domain.buckets import local_day_bounds, to_epoch_ms
from energymon.domain.energy import WindowAccumulator
from energymon.domain.model import Reading
from energymon.domain.tariff import PricedDay, priced_days
from energymon.service.clock import ManualClock
from energymon.service.queries import MAX_POINTS, SETTLED_AFTER_SECONDS, Queries
from energymon.service.sampler import Channel
from energymon.service.views import Historical
from energymon.settings import settings_from_mapping
from energymon.storage.buffered import BufferedStore
from energymon.storage.history import HistoryPart, RecentPart, Settled
from energymon.storage.memory import MemoryStore
from energymon.storage.sqlite import SqliteStore
from tests.support import history_reference
from tests.support.fakes import ScriptedSensor

ZONE = ZoneInfo("Europe/Berlin")
FIRST_DAY = dt.date(2026, 3, 25)  # clocks go forward on 2026-03-29
START = dt.datetime(2026, 3, 25, 0, 0, tzinfo=ZONE)
NOW = dt.datetime(2026, 4, 1, 23, 30, tzinfo=ZONE)  # the steps run past midnight
STEP_MS = 120_000
RANGES = (1, 2, 8)
APPLIANCES = (None, 3)
MAX_POINTS_TRIED = (MAX_POINTS, 150, 3)
PRICE = 0.3


def _reading(appliance_id: int, ts_ms: int, *, measured: bool = True) -> Reading:
    watts = 50 + 40 * math.sin(ts_ms / 3_600_000 + appliance_id) + appliance_id
    volts, amps = (12.0 + appliance_id / 10, watts / 12.0) if measured else (None, None)
    return Reading(
        appliance_id, ts_ms, watts, volts, amps, watts * STEP_MS / 3_600_000, STEP_MS / 1000, 20
    )


def _live(start_ms: int, end_ms: int) -> list[Reading]:
    """Live readings: appliance 2 silent for five hours, appliance 3 only from the third day."""
    gap = (to_epoch_ms(START) + 4 * 86_400_000, to_epoch_ms(START) + 4 * 86_400_000 + 18_000_000)
    late_ms = to_epoch_ms(START) + 2 * 86_400_000
    return [
        _reading(appliance_id, ts_ms)
        for ts_ms in range(start_ms, end_ms, STEP_MS)
        for appliance_id in (1, 2, 3)
        if not (appliance_id == 2 and gap[0] <= ts_ms < gap[1])
        and not (appliance_id == 3 and ts_ms < late_ms)
        and not (appliance_id == 1 and ts_ms < late_ms)  # imported below instead
    ]


def _imported(start_ms: int, end_ms: int) -> list[Reading]:
    """Appliance 1's first days, from a CSV log: watts only."""
    return [_reading(1, ts_ms, measured=False) for ts_ms in range(start_ms, end_ms, STEP_MS)]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BufferedStore]:
    """The week stored (raw kept 2 days, minutes 4), the last 20 minutes still buffered."""
    options = {"retention_days": 2, "minute_retention_days": 4}
    opened: BufferedStore
    if request.param == "memory":
        opened = MemoryStore(zone=ZONE, **options)  # type: ignore[arg-type]
    else:
        opened = SqliteStore(tmp_path / "e.db", zone=ZONE, **options)  # type: ignore[arg-type]
    start_ms, now_ms = to_epoch_ms(START), to_epoch_ms(NOW)
    opened.import_readings(_imported(start_ms, start_ms + 2 * 86_400_000), [])
    opened.append(_live(start_ms, now_ms - 1_200_000))
    opened.flush()
    opened.prune(now_ms)
    opened.append(_live(now_ms - 1_200_000, now_ms))
    yield opened
    opened.close()


def _reference(store: BufferedStore, days: tuple[dt.date, dt.date], owner: int | None, most: int):
    span = (local_day_bounds(days[0], ZONE)[0], local_day_bounds(days[1], ZONE)[1])
    with store._snapshot() as snap:
        readings = history_reference.readings_between(
            snap.tables,
            snap.pending,
            span=span,
            appliance_id=owner,
            max_points=most,
            horizon=snap.horizon,
            zone=ZONE,
        )
    return readings, store.daily_stats(*days, owner)


def _steps(store: BufferedStore, clock: ManualClock) -> Iterator[str]:
    """Move the clock on with live readings; change the past twice. Yields what changed."""
    now_ms = to_epoch_ms(NOW)
    for step in range(6):
        later_ms = now_ms + 7 * STEP_MS
        store.append(_live(now_ms, later_ms))
        if step % 2:
            store.flush()
        if step == 2:  # pruning moves the horizon on: kept parts stay as long as their plan does
            store.prune(now_ms)
        if step == 3:  # an import into the settled past (the second imported day again, + 1 s)
            first_ms = to_epoch_ms(START) + 86_400_000 + 1000
            store.import_readings(_imported(first_ms, first_ms + 3_600_000), [])
        if step == 5:  # the clock stepped back an hour: readings land among settled ones
            store.append(_live(now_ms - 3_600_000 + 500, now_ms - 3_000_000))
        now_ms = later_ms
        clock.advance(7 * STEP_MS / 1000)
        yield f"step {step}"


def test_parts_equal_the_whole_answer_at_every_step(store: BufferedStore) -> None:
    """Each range, appliance and size, kept in parts across steps, equals the reference answer."""
    clock = ManualClock(to_epoch_ms(NOW) / 1000)
    kept: dict[tuple[int, int | None, int], tuple[Settled, list[Reading], list[object]]] = {}
    reused = 0  # answers that used a kept part: the comparison is of parts, not of wholes
    for step in chain(["start"], _steps(store, clock)):
        today = dt.datetime.fromtimestamp(clock.time(), ZONE).date()
        before_ms = round((clock.time() - SETTLED_AFTER_SECONDS) * 1000)
        for days in RANGES:
            window = (today - dt.timedelta(days=days - 1), today)
            for owner in APPLIANCES:
                for most in MAX_POINTS_TRIED:
                    key = (days, owner, most)
                    known, settled_points, settled_days = kept.get(key, (None, [], []))
                    part = store.history_part(
                        window, owner, most, settled_before_ms=before_ms, known=known
                    )
                    if known is None or part.from_ms != known.until_ms or part.plan != known.plan:
                        settled_points, settled_days = [], []
                    reused += bool(settled_points)
                    points = settled_points + part.readings
                    stats = settled_days + part.days
                    assert (points, stats) == _reference(store, window, owner, most), (step, key)
                    if part.epoch is not None:
                        cut = part.settled_ms
                        open_day = dt.datetime.fromtimestamp(cut / 1000, ZONE).date()
                        kept[key] = (
                            Settled(part.plan, cut, part.epoch),
                            [r for r in points if r.timestamp_ms < cut],
                            [d for d in stats if d.date < open_day],
                        )
    assert reused > 30


def _queries(store: BufferedStore, clock: ManualClock, kind: type[Queries] = Queries) -> Queries:
    settings = settings_from_mapping(
        {
            "timezone": ZONE.key,
            "tariff": {"price_per_kwh": PRICE},
            "appliances": [
                {"id": i, "name": f"a{i}", "driver": "simulated", "address": 0x40 + i}
                for i in (1, 2, 3)
            ],
        }
    )
    channels = [
        Channel(i, f"a{i}", ScriptedSensor(clock), WindowAccumulator(i, 1.0, 5.0))
        for i in (1, 2, 3)
    ]
    return kind(settings, channels, store=store, clock=clock)


def test_kept_answers_are_the_bytes_pydantic_writes(store: BufferedStore) -> None:
    """The API's kept, encoded and compressed answers equal HistoricalResponse's JSON
    (answers under 1 KiB go uncompressed, as the app's GZip middleware sends them)."""
    clock = ManualClock(to_epoch_ms(NOW) / 1000)
    queries = _queries(store, clock)
    answers = HistoricalAnswers(ZONE)
    for step in chain(["start"], _steps(store, clock)):
        today = dt.datetime.fromtimestamp(clock.time(), ZONE).date()
        for days in (1, 2, 8):
            window = (today - dt.timedelta(days=days - 1), today)
            for owner in (None,):
                points, stats = _reference(store, window, owner, MAX_POINTS)
                historical = Historical(points, priced_days(stats, PRICE))
                expected = HistoricalResponse.of(historical, ZONE).model_dump_json(by_alias=True)
                plain = answers.body(queries, days, owner, gzip=False)
                packed = answers.body(queries, days, owner, gzip=True)
                assert plain == expected.encode(), (step, days, owner)
                unpacked = gzip.decompress(packed) if packed[:2] == b"\x1f\x8b" else packed
                assert unpacked == expected.encode(), (step, days, owner)


def test_kept_newest_readings_are_the_bytes_pydantic_writes(store: BufferedStore) -> None:
    """/energy/history's kept answers equal HistoryResponse's JSON of the store's latest."""
    clock = ManualClock(to_epoch_ms(NOW) / 1000)
    queries = _queries(store, clock)
    answers = RecentAnswers(max_kept=600)
    for step in chain(["start"], _steps(store, clock)):
        for owner in (1, 2):
            for limit in (1, 24, 300, 2000):
                expected = HistoryResponse.of(store.latest(owner, limit), ZONE)
                text = expected.model_dump_json(by_alias=True).encode()
                assert answers.body(queries, owner, limit, gzip=False) == text, (step, limit)
                packed = answers.body(queries, owner, limit, gzip=True)
                unpacked = gzip.decompress(packed) if packed[:2] == b"\x1f\x8b" else packed
                assert unpacked == text, (step, limit)


class _ChangingQueries(Queries):
    """Queries whose every part was read while the past changed (the store says epoch None)."""

    def historical_part(
        self, days: int, appliance_id: int | None, known: Settled | None
    ) -> tuple[HistoryPart, list[PricedDay]]:
        part, priced = super().historical_part(days, appliance_id, known)
        return dataclasses.replace(part, epoch=None), priced

    def history_part(
        self, appliance_id: int, limit: int, since: tuple[int, tuple[int, int]] | None
    ) -> RecentPart:
        return dataclasses.replace(super().history_part(appliance_id, limit, since), mark=None)


def test_answers_read_while_the_past_changed_are_whole_and_not_kept(
    store: BufferedStore,
) -> None:
    """A part the store could not vouch for is answered whole, and nothing of it is kept."""
    clock = ManualClock(to_epoch_ms(NOW) / 1000)
    changing = _queries(store, clock, _ChangingQueries)
    historical, recent = HistoricalAnswers(ZONE), RecentAnswers()
    today = dt.datetime.fromtimestamp(clock.time(), ZONE).date()
    for days in (1, 8):
        window = (today - dt.timedelta(days=days - 1), today)
        points, stats = _reference(store, window, None, MAX_POINTS)
        expected = HistoricalResponse.of(Historical(points, priced_days(stats, PRICE)), ZONE)
        for _ in range(2):
            body = historical.body(changing, days, None, gzip=False)
            assert body == expected.model_dump_json(by_alias=True).encode()
    latest = HistoryResponse.of(store.latest(2, 500), ZONE).model_dump_json(by_alias=True)
    for _ in range(2):
        assert recent.body(changing, 2, 500, gzip=False) == latest.encode()
    assert not historical._kept
    assert not recent._kept
