"""`energymon serve`: the monitor and the API in one process, run by uvicorn until a signal.

Shutdown order matters for durability: uvicorn stops taking requests, then the monitor stops
sampling and flushes storage. Our own SIGTERM/SIGINT handlers stay installed around uvicorn's,
so a signal never kills the process before that flush (uvicorn re-raises the signals it caught
once it returns; with the default handlers that would end the process on the spot). SIGHUP,
whose default also ends the process on the spot, takes the same graceful way out.

The process holds its data directory (runtime.datadir) from before anything is built until
it exits, so a second instance stops at once instead of writing every reading twice.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType

import structlog
import uvicorn

from energymon.api.deps import context_of
from energymon.api.security import is_loopback, warn_if_open
from energymon.bootstrap import Service, build_service, prepare_data_dir
from energymon.logging import configure_logging
from energymon.runtime.datadir import DataDirLock, refuse_unwritable_files
from energymon.runtime.process import (
    cap_malloc_arenas,
    freeze_startup_objects,
    install_signal_handlers,
    restore_signal_handlers,
    shorten_switch_interval,
)
from energymon.runtime.systemd import Notifier
from energymon.settings import Settings

__all__ = ["serve"]

log = structlog.get_logger("energymon.server")

EXIT_OK, EXIT_FAILED = 0, 1
# Open requests get this long to finish at shutdown; event streams are ended at once.
GRACEFUL_SHUTDOWN_SECONDS = 5
# READY=1 waits for the first reading, but not forever: a service whose sensors are all
# unplugged still serves (503 per appliance) rather than being restarted in a loop.
READY_GRACE_SECONDS = 30.0


class _Server(uvicorn.Server):
    """uvicorn's server, telling us when it listens and when a signal asks it to stop."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start listening, then log where."""
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)
        if self.started:
            url = _base_url(self.config.host, self._bound_port())
            log.info(
                "serving",
                dashboard=f"{url}/",
                docs=f"{url}/docs",
                listening=_listening(self.config.host, self._bound_port()),
            )

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Stop serving; end event streams now so shutdown need not wait for them."""
        self._end_streams()
        super().handle_exit(sig, frame)

    def stop_gracefully(self) -> None:
        """Stop as a SIGTERM would, for a signal uvicorn must not re-raise once it returns."""
        self._end_streams()
        self.should_exit = True

    def _end_streams(self) -> None:
        if self._loop is not None and not self.should_exit:
            self._loop.call_soon_threadsafe(self._on_exit)

    def _bound_port(self) -> int:
        for server in self.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.config.port


def _listening(host: str, port: int) -> str:
    """Where the socket listens, in words: all interfaces means the whole LAN can connect."""
    if host in ("0.0.0.0", "::"):
        return f"all interfaces, port {port} (reachable from the network)"
    return f"{host} port {port}"


def _base_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::") or is_loopback(host):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def serve(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    build: Callable[[Settings], Service] = build_service,
) -> int:
    """Run sampling, storage and the HTTP API until SIGTERM, SIGHUP or Ctrl-C; returns the exit
    code.

    Raises ConfigError for unusable settings (an unreadable API key file, say) before any
    sensor is touched, and DataDirError when another instance holds the data directory or
    the files in it cannot be written.

    Args:
        build: the composition root's `build_service`; a benchmark wraps it to observe the
            Monitor it builds.
    """
    configure_logging(settings.log_level)
    data_dir = prepare_data_dir(settings)
    refuse_unwritable_files(data_dir)
    with DataDirLock(data_dir):
        return _serve_holding_data_dir(settings, host, port, build)


def _serve_holding_data_dir(
    settings: Settings, host: str | None, port: int | None, build: Callable[[Settings], Service]
) -> int:
    cap_malloc_arenas()
    shorten_switch_interval()
    host = host or settings.server.host
    port = settings.server.port if port is None else port

    service = build(settings)
    monitor, app = service.monitor, service.app
    warn_if_open(host, key_configured=service.api_key_required)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_config=None,  # our structlog setup handles uvicorn's loggers
        access_log=False,  # the API writes the seed's access log itself
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = _Server(config, on_exit=context_of(app).streams.close)

    first_reading = threading.Event()
    unsubscribe = monitor.runner.subscribe(lambda reading: first_reading.set())
    ready_deadline = time.monotonic() + READY_GRACE_SECONDS
    notifier = Notifier(
        ready=lambda: (
            server.started and (first_reading.is_set() or time.monotonic() > ready_deadline)
        ),
        healthy=lambda: monitor.health.report().verdict.alive,
    )
    previous_handlers = install_signal_handlers(server)
    freeze_startup_objects()
    try:
        monitor.runner.start()
        notifier.start()
        server.run()
    except SystemExit as exc:  # uvicorn exits this way when it cannot bind or start
        log.error("server failed to start", host=host, port=port, code=exc.code)
    finally:
        notifier.stop()
        unsubscribe()
        monitor.runner.stop()
        log.info("energymon stopped; storage flushed")
        restore_signal_handlers(previous_handlers)
    return EXIT_OK if server.started else EXIT_FAILED
