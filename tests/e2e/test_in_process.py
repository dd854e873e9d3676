"""Failure paths, driven through the app in-process with fake hardware and fake storage."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import starlette

from energymon.api.deps import context_of
from energymon.api.memo import AnswerMemo
from energymon.domain.model import Reading
from energymon.storage.base import StorageError
from energymon.storage.memory import MemoryStore
from tests.e2e.fakes import InProcess, real_driver_settings, running_app
from tests.e2e.support import wait_until


def _status(app: InProcess, appliance_id: int) -> int:
    return app.client.get("/energy", params={"applianceId": appliance_id}).status_code


def test_offline_sensor_is_503_for_that_appliance_only_then_recovers(in_process: InProcess) -> None:
    """A chip that stops answering gives 503 with the reason; the others stay 200; then back."""
    chip = in_process.chips[2]
    chip.remove()
    wait_until(lambda: _status(in_process, 2) == 503, what="appliance 2 offline")
    offline = in_process.client.get("/energy", params={"applianceId": 2})
    assert "0x41" in offline.json()["detail"]
    assert offline.headers["retry-after"]
    assert _status(in_process, 1) == 200
    assert _status(in_process, 3) == 200
    health = in_process.client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    by_id = {a["id"]: a for a in health.json()["appliances"]}
    assert by_id[2]["status"] == "offline"
    assert "0x41" in by_id[2]["last_error"]
    assert (by_id[1]["status"], by_id[3]["status"]) == ("ok", "ok")
    appliances = in_process.client.get("/appliances").json()["appliances"]
    assert [a["status"] for a in appliances] == ["ok", "offline", "ok"]

    chip.restore()
    wait_until(lambda: _status(in_process, 2) == 200, timeout=10, what="appliance 2 back")
    assert in_process.client.get("/health").json()["status"] == "ok"


def test_health_is_503_while_every_sensor_is_offline_then_recovers(
    in_process: InProcess,
) -> None:
    """With no sensor answering nothing can be recorded: 503 `unhealthy`, then 200 `ok`."""
    for chip in in_process.chips.values():
        chip.remove()
    wait_until(lambda: in_process.client.get("/health").status_code == 503, what="all offline")
    report = in_process.client.get("/health").json()
    assert report["status"] == "unhealthy"
    assert "every sensor is offline" in report["reasons"]
    for chip in in_process.chips.values():
        chip.restore()
    wait_until(
        lambda: in_process.client.get("/health").json()["status"] == "ok",
        timeout=10,
        what="every sensor back",
    )


def test_health_is_503_while_sampling_is_stuck(in_process: InProcess) -> None:
    """A sampler hung on its bus past the stuck limit turns /health to 503, and back to 200."""
    in_process.bus.gate.clear()
    assert in_process.bus.waiting.wait(5.0)
    in_process.clock.advance(60.0)  # far past the stuck limit, without waiting for it
    stuck = in_process.client.get("/health")
    assert stuck.status_code == 503
    assert stuck.json()["status"] == "unhealthy"
    assert stuck.json()["samplers"][0]["stuck"] is True
    in_process.bus.gate.set()
    wait_until(lambda: in_process.client.get("/health").status_code == 200, what="recovery")


class _FailingStore(MemoryStore):
    """A MemoryStore whose history query fails the way `error` says."""

    def __init__(self, error: Exception, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.error = error

    def latest(self, appliance_id: int, limit: int) -> list[Reading]:
        """Fail."""
        raise self.error


def _history_with_a_failing_store(tmp_path: Path, error: Exception) -> httpx.Response:
    """GET /energy/history of an app whose store fails every query with `error`."""
    settings = real_driver_settings(tmp_path)
    store = _FailingStore(error, zone=settings.zone)
    with running_app(settings, store=store, csv_log=False) as app:
        return app.client.get("/energy/history")


def test_unexpected_error_is_json_500(tmp_path: Path) -> None:
    """A bug in a query answers 500 with a JSON detail and no internals."""
    response = _history_with_a_failing_store(tmp_path, RuntimeError("boom"))
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}


def test_storage_failure_is_503(tmp_path: Path) -> None:
    """A storage error in a query answers 503 naming the storage problem."""
    response = _history_with_a_failing_store(tmp_path, StorageError("database is locked"))
    assert response.status_code == 503
    assert response.json() == {"detail": "storage unavailable: database is locked"}


def test_cors_star_allows_any_origin(tmp_path: Path) -> None:
    """cors_origins = ["*"] answers any origin."""
    with running_app(real_driver_settings(tmp_path, cors_origins=["*"])) as app:
        response = app.client.get("/appliances", headers={"Origin": "http://anywhere.example"})
    assert response.headers["access-control-allow-origin"] == "*"


# Before Starlette 1.9 TestClient buffered a streamed body to its end: an endless stream hung.
STREAMING_TESTCLIENT = tuple(int(p) for p in starlette.__version__.split(".")[:2]) >= (1, 9)


@pytest.mark.skipif(not STREAMING_TESTCLIENT, reason="TestClient does not stream before 1.9")
def test_stream_client_is_unsubscribed_when_it_leaves(in_process: InProcess) -> None:
    """Closing an event stream removes its subscriber from the monitor."""
    streams = context_of(in_process.client.app).streams  # type: ignore[arg-type]
    with in_process.client.stream("GET", "/energy/stream") as response:
        lines = response.iter_lines()  # held: dropping the iterator would close the response
        data = next(line for line in lines if line.startswith("data: "))
        assert streams.client_count == 1
    assert json.loads(data.removeprefix("data: "))["applianceId"] in {1, 2, 3}
    wait_until(lambda: streams.client_count == 0, what="the stream to close")


def test_a_question_asked_again_is_given_again_until_the_store_changes(
    in_process: InProcess,
) -> None:
    """With nothing recorded between, a repeated question is written once; `no-cache` writes it
    afresh; a reading stored meanwhile is in the very next answer."""
    memo = AnswerMemo(clock=lambda: 0.0)  # never too old: only the store's changes count
    in_process.client.app.state.answer_memo = memo  # type: ignore[attr-defined]
    params = {"applianceId": 1, "limit": 5}
    wait_until(lambda: len(in_process.client.get("/energy/history", params=params).json()["data"]))
    in_process.bus.gate.clear()  # the sampler waits on the bus: nothing is recorded meanwhile
    assert in_process.bus.waiting.wait(10.0)
    try:

        def ask(**headers: str) -> list[dict[str, object]]:
            response = in_process.client.get("/energy/history", params=params, headers=headers)
            data: list[dict[str, object]] = response.json()["data"]
            return data

        first = ask()
        written = memo.written
        assert ask() == first
        assert memo.written == written
        assert ask(**{"Cache-Control": "no-cache"}) == first
        assert memo.written == written + 1
        later_ms = round(in_process.clock.time() * 1000) + 60_000
        reading = Reading(1, later_ms, 4321.0, 12.0, 360.0, 1.2, 1.0)
        in_process.monitor.queries.store.append([reading])
        assert ask()[-1]["watts"] == 4321.0
    finally:
        in_process.bus.gate.set()
