"""The API access log in the seed's format, written by a pure ASGI middleware.

    2024-12-04 10:00:01 - INFO - GET /energy?applianceId=1 - 200 1.2ms

The seed's line is kept as it was (local time, level, method and target) and the status and
duration are appended. Lines go through a queue to a writer thread, so a slow SD card never holds
up a response; the file rotates at local midnight and keeps `retention_days` old files. The
queue holds at most MAX_QUEUED_LINES: while the card stalls, further lines are dropped and
counted (a warning when dropping starts and one with the count when it ends), so the lines
waiting can never take more than a few MB.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import re
import sys
import time
from collections.abc import Iterator
from logging.handlers import QueueHandler, QueueListener, TimedRotatingFileHandler
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ACCESS_LOG_NAME", "AccessLog", "AccessLogMiddleware", "request_target"]

ACCESS_LOG_NAME = "api_access.log"
LINE_FORMAT = "%(asctime)s - %(levelname)s - %(message)s"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CHUNK_BYTES = 64 * 1024
# About 1 kB each once queued: a few MB at most, seconds of the benchmark's load, hours of a home's.
MAX_QUEUED_LINES = 4096
# TimedRotatingFileHandler names old files api_access.log.YYYY-MM-DD.
_ROTATED_SUFFIX = re.compile(r"^\d{4}-\d{2}-\d{2}(_\d{2}-\d{2}-\d{2})?$")
# A key sent as a query parameter must not end up on disk; headers are never logged at all.
_SECRET_QUERY = re.compile(r"(^|&)((?:api[_-]?key|token)=)[^&]*", re.IGNORECASE)
_MASK = r"\1\2***"

log = structlog.get_logger("energymon.api")


class _ZoneFormatter(logging.Formatter):
    """The seed's line format with times in the configured zone, not the process's."""

    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__(LINE_FORMAT, TIME_FORMAT)
        self._zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging.Formatter's name
        """The record's time as local wall time of the configured zone."""
        moment = dt.datetime.fromtimestamp(record.created, self._zone)
        return moment.strftime(datefmt or TIME_FORMAT)


class _FileHandler(TimedRotatingFileHandler):
    """The rotating file; a write that fails (a full disk) is reported once, not as a
    traceback on stderr for every request, and once more when writing works again."""

    _failing = False
    _failed_now = False

    def emit(self, record: logging.LogRecord) -> None:
        """Write the line; note whether it worked."""
        self._failed_now = False
        super().emit(record)
        if self._failing and not self._failed_now:
            self._failing = False
            log.info("access log writable again", path=str(self.baseFilename))

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        """Called by emit when writing failed: say so once per outage."""
        self._failed_now = True
        if not self._failing:
            self._failing = True
            log.error(
                "access log write failed; requests go unlogged until it works",
                path=str(self.baseFilename),
                error=str(sys.exc_info()[1]),
            )


class _DroppingQueueHandler(QueueHandler):
    """Queues lines for the writer; drops (and counts) those that find the queue full."""

    def __init__(self, lines: queue.Queue[logging.LogRecord | None]) -> None:
        super().__init__(lines)
        self.dropped_lines = 0
        self._dropping_since = 0  # dropped_lines when the current run of drops began

    def enqueue(self, record: logging.LogRecord) -> None:
        """Queue `record` unless the queue is full."""
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            if self.dropped_lines == self._dropping_since:
                log.warning("access log writer behind; dropping lines", queued=MAX_QUEUED_LINES)
            self.dropped_lines += 1
            return
        if self.dropped_lines != self._dropping_since:
            dropped = self.dropped_lines - self._dropping_since
            log.warning("access log writer caught up", dropped_lines=dropped)
            self._dropping_since = self.dropped_lines


class _Listener(QueueListener):
    """QueueListener whose stop waits for room in a full queue rather than failing."""

    def __init__(
        self, lines: queue.Queue[logging.LogRecord | None], handler: logging.Handler
    ) -> None:
        super().__init__(lines, handler)
        self._lines = lines

    def enqueue_sentinel(self) -> None:
        """Queue the end mark (None, QueueListener's sentinel) behind the lines still waiting."""
        self._lines.put(None)


class AccessLog:
    """`data_dir/logs/api_access.log` and its rotated predecessors."""

    def __init__(
        self,
        log_dir: Path,
        *,
        retention_days: int,
        zone: ZoneInfo,
        max_queued_lines: int = MAX_QUEUED_LINES,
    ) -> None:
        self.log_dir = log_dir
        self.path = log_dir / ACCESS_LOG_NAME
        self.retention_days = retention_days
        self.zone = zone
        self._queue: queue.Queue[logging.LogRecord | None] = queue.Queue(max_queued_lines)
        self._queuer = _DroppingQueueHandler(self._queue)
        # A logger outside logging's tree: global logging configuration never touches it.
        self._logger = logging.Logger("energymon.access", logging.INFO)
        self._listener: QueueListener | None = None
        self._file_handler: logging.Handler | None = None

    def open(self) -> None:
        """Create the directory and start the writer thread."""
        if self._listener is not None:
            return
        self.log_dir.mkdir(parents=True, exist_ok=True)
        handler = _FileHandler(
            self.path, when="midnight", backupCount=self.retention_days, encoding="utf-8"
        )
        handler.setFormatter(_ZoneFormatter(self.zone))
        self._file_handler = handler
        self._listener = _Listener(self._queue, handler)
        self._logger.addHandler(self._queuer)
        self._listener.start()

    def close(self) -> None:
        """Write what is queued and close the file."""
        if self._listener is None:
            return
        for handler in list(self._logger.handlers):
            self._logger.removeHandler(handler)
        self._listener.stop()
        self._listener = None
        if self._file_handler is not None:
            self._file_handler.close()
            self._file_handler = None

    @property
    def dropped_lines(self) -> int:
        """Lines dropped since start because the writer was MAX_QUEUED_LINES behind."""
        return self._queuer.dropped_lines

    def record(self, method: str, target: str, status: int, duration_ms: float) -> None:
        """Log one finished request (dropped while the log is not open)."""
        if self._listener is not None:
            self._logger.info("%s %s - %d %.1fms", method, target, status, duration_ms)

    def files(self) -> list[Path]:
        """The log files, oldest first: rotated days, then today's."""
        if not self.log_dir.is_dir():
            return []
        prefix = ACCESS_LOG_NAME + "."
        rotated = [
            p
            for p in self.log_dir.iterdir()
            if p.name.startswith(prefix) and _ROTATED_SUFFIX.match(p.name[len(prefix) :])
        ]
        current = [self.path] if self.path.is_file() else []
        return sorted(rotated) + current

    def iter_bytes(self) -> Iterator[bytes]:
        """The content of every file, oldest first, in chunks (blocking: run off the loop)."""
        for path in self.files():
            try:
                with path.open("rb") as file:
                    while chunk := file.read(CHUNK_BYTES):
                        yield chunk
            except FileNotFoundError:
                continue  # rotated away or pruned while we were reading


def request_target(scope: Scope) -> str:
    """Path and query as the client sent them (still percent-encoded), secrets masked."""
    raw_path = scope.get("raw_path")
    path = raw_path.decode("ascii", "backslashreplace") if raw_path else scope["path"]
    query = scope.get("query_string", b"").decode("ascii", "backslashreplace")
    if not query:
        return str(path)
    return f"{path}?{_SECRET_QUERY.sub(_MASK, query)}"


class AccessLogMiddleware:
    """Records method, target, status and duration of every HTTP request."""

    def __init__(self, app: ASGIApp, access_log: AccessLog) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and log it when the response is done."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app starts a response: an exception escaped

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            self.access_log.record(scope["method"], request_target(scope), status, elapsed_ms)
