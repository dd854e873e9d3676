"""systemd's notify protocol by hand: READY, WATCHDOG and STOPPING datagrams, no dependency.

See sd_notify(3): the service manager passes a unix datagram socket in $NOTIFY_SOCKET (a path,
or an abstract-namespace name starting with '@') and, with WatchdogSec=, the ping interval in
$WATCHDOG_USEC. Outside systemd both are unset and every call here is a no-op.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Mapping

import structlog

__all__ = ["Notifier", "notify", "watchdog_interval_seconds"]

log = structlog.get_logger("energymon.systemd")

# sd_watchdog_enabled(3) recommends pinging at half the timeout.
PINGS_PER_TIMEOUT = 2


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send one sd_notify message (e.g. "READY=1"); False when not run by systemd."""
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace: a leading NUL byte, no file
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        log.warning("systemd notify failed", message=message, error=str(exc))
        return False
    return True


def watchdog_interval_seconds(environ: Mapping[str, str] | None = None) -> float | None:
    """How often to ping the watchdog, or None when systemd set no WatchdogSec for us."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 1_000_000 / PINGS_PER_TIMEOUT


class Notifier:
    """A thread that says READY once `ready()` holds and pings the watchdog while `healthy()`.

    Missing a ping is the point: systemd then restarts a service whose sampling is stuck.
    """

    def __init__(
        self,
        *,
        ready: Callable[[], bool],
        healthy: Callable[[], bool],
        poll_seconds: float = 0.1,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._ready = ready
        self._healthy = healthy
        self._poll_seconds = poll_seconds
        self._environ = dict(os.environ if environ is None else environ)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="systemd-notify", daemon=True)

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def stop(self) -> None:
        """Tell systemd we are stopping and end the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()  # first, so no WATCHDOG=1 can follow STOPPING=1
        notify("STOPPING=1", self._environ)

    def _run(self) -> None:
        while not self._ready():
            if self._stop.wait(self._poll_seconds):
                return
        notify("READY=1\nSTATUS=serving", self._environ)
        interval = watchdog_interval_seconds(self._environ)
        if interval is None:
            return
        while not self._stop.wait(interval):
            if self._healthy():
                notify("WATCHDOG=1", self._environ)
            else:
                log.warning("sampling unhealthy: withholding the systemd watchdog ping")
