"""The access log: the seed's line format, secrets masked, files served oldest first."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.types import Message, Receive, Scope, Send

from energymon.api.accesslog import AccessLog, AccessLogMiddleware, request_target

ZONE = ZoneInfo("Asia/Kathmandu")  # +05:45, unlike any test machine's zone


def _scope(path: str, query: bytes = b"", raw_path: bytes | None = None) -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": raw_path,
        "query_string": query,
        "headers": [],
    }


def test_target_keeps_the_query_as_sent() -> None:
    """Path and query appear as the client sent them, percent-encoding included."""
    scope = _scope("/energy history", b"applianceId=1", raw_path=b"/energy%20history")
    assert request_target(scope) == "/energy%20history?applianceId=1"
    assert request_target(_scope("/energy")) == "/energy"


def test_target_masks_keys_in_the_query() -> None:
    """api_key (any spelling) and token values are replaced by ***."""
    scope = _scope("/energy", b"api_key=abc&applianceId=1&API-KEY=def&token=ghi&apikeys=1")
    assert request_target(scope) == (
        "/energy?api_key=***&applianceId=1&API-KEY=***&token=***&apikeys=1"
    )


def test_record_writes_the_seed_line_in_the_configured_zone(tmp_path: Path) -> None:
    """A request is logged as `local time - INFO - METHOD target - status ms`."""
    log = AccessLog(tmp_path / "logs", retention_days=7, zone=ZONE)
    log.open()
    log.record("GET", "/energy?applianceId=1", 200, 1.234)
    log.close()
    line = log.path.read_text(encoding="utf-8")
    match = re.fullmatch(r"(.{19}) - INFO - GET /energy\?applianceId=1 - 200 1\.2ms\n", line)
    assert match, line
    logged = dt.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZONE)
    assert abs(logged - dt.datetime.now(ZONE)) < dt.timedelta(minutes=1)


def test_record_before_open_is_dropped(tmp_path: Path) -> None:
    """Nothing is written (or kept) while the log is closed."""
    log = AccessLog(tmp_path / "logs", retention_days=7, zone=ZONE)
    log.record("GET", "/", 200, 1.0)
    log.open()
    log.close()
    assert log.path.read_text(encoding="utf-8") == ""


def test_files_are_rotated_days_oldest_first_then_today(tmp_path: Path) -> None:
    """Rotated files come in date order before the current file; other files are ignored."""
    logs = tmp_path / "logs"
    logs.mkdir()
    for name, text in [
        ("api_access.log", "today\n"),
        ("api_access.log.2024-12-04", "yesterday\n"),
        ("api_access.log.2024-12-03", "day before\n"),
        ("api_access.log.bak", "not ours\n"),
    ]:
        (logs / name).write_text(text, encoding="utf-8")
    log = AccessLog(logs, retention_days=7, zone=ZONE)
    assert [p.name for p in log.files()] == [
        "api_access.log.2024-12-03",
        "api_access.log.2024-12-04",
        "api_access.log",
    ]
    assert b"".join(log.iter_bytes()) == b"day before\nyesterday\ntoday\n"


def test_files_of_a_missing_directory_are_none(tmp_path: Path) -> None:
    """Before the first request there is nothing to download."""
    assert list(AccessLog(tmp_path / "nope", retention_days=1, zone=ZONE).iter_bytes()) == []


def test_middleware_logs_500_when_the_app_raises(tmp_path: Path) -> None:
    """An exception escaping the app is logged as status 500, then propagates."""
    log = AccessLog(tmp_path / "logs", retention_days=7, zone=ZONE)

    async def failing_app(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        return None

    log.open()
    middleware = AccessLogMiddleware(failing_app, log)
    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(middleware(_scope("/energy"), receive, send))
    log.close()
    assert " - INFO - GET /energy - 500 " in log.path.read_text(encoding="utf-8")


def test_lines_beyond_the_queue_bound_are_dropped_and_counted(tmp_path: Path) -> None:
    """While the writer is stuck, at most `max_queued_lines` wait (one more in its hands); the
    rest are counted as dropped, and logging goes on once it is free again."""
    log = AccessLog(tmp_path / "logs", retention_days=7, zone=ZONE, max_queued_lines=3)
    log.open()
    file_handler = log._file_handler
    assert file_handler is not None
    file_handler.acquire()  # the writer thread blocks on the handler's lock: a stalled card
    try:
        for n in range(20):
            log.record("GET", f"/energy?n={n}", 200, 1.0)
    finally:
        file_handler.release()
    log.close()
    written = log.path.read_text(encoding="utf-8").splitlines()
    assert 3 <= len(written) <= 4
    assert log.dropped_lines == 20 - len(written)
    assert written[0].endswith("GET /energy?n=0 - 200 1.0ms")


def test_logging_resumes_after_a_stall(tmp_path: Path) -> None:
    """Lines recorded after the writer caught up are written again."""
    log = AccessLog(tmp_path / "logs", retention_days=7, zone=ZONE, max_queued_lines=1)
    log.open()
    file_handler = log._file_handler
    assert file_handler is not None
    file_handler.acquire()
    for n in range(5):
        log.record("GET", f"/stalled?n={n}", 200, 1.0)
    file_handler.release()
    log.close()  # drains the queue
    dropped = log.dropped_lines
    log.open()
    log.record("GET", "/after", 200, 1.0)
    log.close()
    assert dropped >= 3
    assert log.dropped_lines == dropped
    assert log.path.read_text(encoding="utf-8").splitlines()[-1].endswith("GET /after - 200 1.0ms")
