"""The process around a long-running `serve`: malloc arenas, GIL switching, gc, signals.

Each knob is set once, at start, for the whole process; none is the HTTP API's business.
"""

from __future__ import annotations

import ctypes
import gc
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any, Protocol

import structlog

__all__ = [
    "SWITCH_INTERVAL_SECONDS",
    "Stoppable",
    "cap_malloc_arenas",
    "freeze_startup_objects",
    "install_signal_handlers",
    "restore_signal_handlers",
    "shorten_switch_interval",
]

log = structlog.get_logger("energymon.server")

SWITCH_INTERVAL_SECONDS = 0.001
M_ARENA_MAX = -8  # glibc's mallopt parameter number

Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class Stoppable(Protocol):
    """A server a signal can stop: at once (before it runs) or gracefully (while it runs)."""

    should_exit: bool

    def stop_gracefully(self) -> None:
        """Stop as a SIGTERM would, without a signal to re-raise once it returns."""


def cap_malloc_arenas() -> None:
    """Ask glibc for two malloc arenas, not one per thread that ever allocated.

    Thread-pool workers, samplers and the log writer each get an arena by default, and memory
    freed in one thread's arena is rarely returned: RSS creeps up by megabytes under load with
    no Python object leaking (tracemalloc shows none). MALLOC_ARENA_MAX=2 in the unit does the
    same for the installed service; this covers `energymon serve` started by hand.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        return  # not glibc (musl has no arenas to cap)


def shorten_switch_interval() -> None:
    """Hand the GIL over every millisecond instead of every 5 ms.

    The samplers share the GIL with request handling: 1 ms keeps a sampler's lag behind its
    deadline within a millisecond or two even while a long query computes, for a negligible
    cost in thread switches.
    """
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def freeze_startup_objects() -> None:
    """Move what startup allocated out of the collector's sight, once everything is built.

    Startup leaves a few hundred thousand objects that live as long as the process (modules,
    models, the app). Frozen, full collections skip them: otherwise each one holds the GIL for
    25-45 ms on a PC (more on a Pi), whatever the switch interval, and samplers miss periods.
    """
    gc.collect()
    gc.freeze()


def install_signal_handlers(server: Stoppable) -> dict[signal.Signals, Handler]:
    """Keep SIGTERM, SIGINT and SIGHUP from ending the process before storage is flushed;
    returns the handlers they replaced."""
    if threading.current_thread() is not threading.main_thread():
        return {}  # only the main thread may set handlers (uvicorn then skips its own too)

    def request_exit(sig: int, frame: FrameType | None) -> None:
        server.should_exit = True  # before uvicorn runs: it exits right after startup

    def stop_on_hangup(sig: int, frame: FrameType | None) -> None:
        # Settings are read once at start, so a "reload" is a stop with a flush; systemd's
        # Restart=always starts the service again with the configuration as it is now.
        log.warning(
            "SIGHUP: stopping gracefully, buffered readings are flushed; a restart (systemd "
            "does it by itself) reads the configuration again"
        )
        server.stop_gracefully()  # not handle_exit: uvicorn would raise SIGHUP again at exit

    handlers = {sig: signal.signal(sig, request_exit) for sig in (signal.SIGTERM, signal.SIGINT)}
    handlers[signal.SIGHUP] = signal.signal(signal.SIGHUP, stop_on_hangup)
    return handlers


def restore_signal_handlers(handlers: Mapping[signal.Signals, Handler]) -> None:
    """Put back the handlers install_signal_handlers replaced."""
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
