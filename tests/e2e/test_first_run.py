"""What a new user sees first: the URL serve prints is the one it listens on, whichever way the
port was set, and the log is text on a terminal but JSON lines under systemd (a pipe)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import ENERGYMON, free_port, make_server

TIMEOUT_SECONDS = 15.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the console renderer's colours


def _serve(config: Path, port: int, stderr: int) -> subprocess.Popen[bytes]:
    """serve with the port set only through the environment, as in
    `ENERGYMON_SERVER__PORT=18000 make run`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENERGYMON_")}
    env["ENERGYMON_SERVER__PORT"] = str(port)
    return subprocess.Popen(
        [str(ENERGYMON), "serve", "--config", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env=env,
    )


def _read_until(fd: int, marker: bytes) -> bytes:
    """What `fd` delivers up to the line holding `marker` (fails after TIMEOUT_SECONDS)."""
    out = b""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while marker not in out or not out.endswith(b"\n"):
        if time.monotonic() > deadline:
            pytest.fail(
                f"no {marker!r} within {TIMEOUT_SECONDS} s:\n{out.decode(errors='replace')}"
            )
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:  # the terminal closed
                break
    return out


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(TIMEOUT_SECONDS) == 0


def test_logged_url_has_the_port_from_the_environment_and_log_is_json_on_a_pipe(
    tmp_path: Path,
) -> None:
    """Under systemd (stderr a pipe) every line is JSON; the "serving" line names the real
    port, and the dashboard answers there."""
    server = make_server(tmp_path)
    port = free_port()
    process = _serve(server.config_path, port, subprocess.PIPE)
    try:
        assert process.stderr is not None
        out = _read_until(process.stderr.fileno(), b'"serving"')
        events = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
        (serving,) = [e for e in events if e["event"] == "serving"]
        assert serving["dashboard"] == f"http://localhost:{port}/"
        assert httpx.get(serving["dashboard"].replace("localhost", "127.0.0.1")).status_code == 200
    finally:
        _stop(process)
        assert process.stderr is not None
        process.stderr.close()


def test_log_on_a_terminal_is_readable_text(tmp_path: Path) -> None:
    """Run from a terminal, the log is structlog's console text, not JSON."""
    server = make_server(tmp_path)
    port = free_port()
    leader, follower = pty.openpty()
    process = _serve(server.config_path, port, follower)
    os.close(follower)
    try:
        out = _read_until(leader, b"serving").decode(errors="replace")
        plain = ANSI.sub("", next(line for line in out.splitlines() if "serving" in line))
        assert not plain.lstrip().startswith("{")
        assert f"dashboard=http://localhost:{port}/" in plain
    finally:
        _stop(process)
        os.close(leader)
