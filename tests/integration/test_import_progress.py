"""`energymon import` draws a progress bar on a terminal, and nothing more on a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from energymon.commands.progress import Progress

CONFIG = """
timezone = "UTC"
[storage]
data_dir = "data"
[[appliances]]
id = 1
name = "Lamp"
driver = "simulated"
address = 0x40
"""
ROWS = 3_000


def _seed_log(path: Path) -> Path:
    lines = ["timestamp,watts,appliance_id"]
    lines += [
        f"2024-12-04 {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d},5.0,1" for s in range(ROWS)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _command(tmp_path: Path) -> list[str]:
    config = tmp_path / "energymon.toml"
    config.write_text(CONFIG, encoding="utf-8")
    log = _seed_log(tmp_path / "old.csv")
    return [sys.executable, "-m", "energymon", "import", "--config", str(config), str(log)]


def _read_all(fd: int) -> bytes:
    """Everything written to a pty's master until the child's side closes."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: every slave descriptor is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_terminal_gets_rows_rate_and_eta_and_the_summary_stays_on_stdout(
    tmp_path: Path,
) -> None:
    """On a pseudo-terminal stderr shows the bar at 100 % with rows, rate and ETA."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        _command(tmp_path), stdout=subprocess.PIPE, stderr=slave, cwd=tmp_path
    )
    os.close(slave)
    try:
        terminal = _read_all(master).decode()
    finally:
        os.close(master)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert f"{ROWS} new readings stored" in stdout.decode()
    assert "\r" in terminal
    assert "old.csv [####################] 100%" in terminal
    assert f"{ROWS:,} rows" in terminal
    assert "rows/s" in terminal
    assert "ETA 0:00" in terminal


def test_a_pipe_gets_only_the_lines_it_got_before(tmp_path: Path) -> None:
    """Without a terminal nothing is drawn: stderr stays empty, stdout has the summary."""
    result = subprocess.run(
        _command(tmp_path), capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert f"{ROWS} rows read, {ROWS} new readings stored" in result.stdout


class _Terminal:
    """A text stream that says it is a terminal, recording what is written."""

    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_the_bar_is_redrawn_at_most_four_times_a_second() -> None:
    """Updates closer than 0.25 s to the last drawing draw nothing; the rate and ETA follow."""
    now = [0.0]
    terminal = _Terminal()
    progress = Progress(terminal, "log", 1000, clock=lambda: now[0])  # type: ignore[arg-type]
    for step in range(1, 11):
        now[0] = step * 0.1
        progress.update(rows=step * 100, bytes_done=step * 50)
    assert terminal.text.count("\r") == 4  # at 0.1, 0.4, 0.7 and 1.0 s
    assert progress.line(2.0) == ("log [##########----------]  50% 1,000 rows 500 rows/s ETA 0:02")


@pytest.mark.parametrize("fraction", [0.0, 1.0])
def test_eta_is_unknown_before_any_byte_and_zero_at_the_end(fraction: float) -> None:
    """No division by zero at the start; nothing left at the end."""
    progress = Progress(_Terminal(), "log", 100, clock=lambda: 0.0)  # type: ignore[arg-type]
    progress.update(rows=0, bytes_done=round(100 * fraction))
    assert progress.line(1.0).endswith("ETA ?" if fraction == 0 else "ETA 0:00")
