"""`energymon import` on awkward files: unconfigured appliances, bytes that are not UTF-8, and
a CSV log that cannot be written (the database keeps the rows)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from energymon.cli import main

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


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "energymon.toml"
    path.write_text(CONFIG.replace('"data"', f'"{tmp_path / "data"}"'), encoding="utf-8")
    return path


def _yesterday() -> str:
    return (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()


def test_rows_of_unconfigured_appliances_and_undecodable_lines_are_named(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An appliance not configured is skipped with a count; a line of bad bytes is a bad row."""
    day = _yesterday()
    log = tmp_path / "old.csv"
    log.write_bytes(
        f"timestamp,watts,appliance_id\n{day} 10:00:00,1.0,1\n{day} 10:00:00,2.0,7\n".encode()
        + f"{day} 10:01:00,\xff,1\n{day} 10:02:00,3.0,1\n".encode("latin-1")
    )
    assert main(["import", "--config", str(config), str(log)]) == 1
    captured = capsys.readouterr()
    assert f"{log}:4: not UTF-8 text" in captured.err
    assert f"{log}: skipped 1 rows of unconfigured appliance ids [7]" in captured.err
    assert f"{log}: 3 rows read, 2 new readings stored, 0 already present, 1 bad rows" in (
        captured.out
    )


def test_a_csv_log_that_cannot_be_written_is_said_and_the_database_keeps_the_rows(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The logs' lock file taken by a directory: one error line naming the logs; a second
    import finds the rows stored."""
    (tmp_path / "data" / "logs" / "energy_monitor.lock").mkdir(parents=True)
    day = _yesterday()
    log = tmp_path / "old.csv"
    log.write_text(f"{day} 10:00:00,1.0,1\n{day} 10:01:00,2.0,1\n", encoding="utf-8")
    assert main(["import", "--config", str(config), str(log)]) == 1
    captured = capsys.readouterr()
    assert "2 new readings stored" in captured.out
    assert f"the readings are in the database, but the CSV log in {tmp_path / 'data' / 'logs'}" in (
        captured.err
    )
    assert main(["import", "--config", str(config), str(log)]) == 1
    assert "0 new readings stored, 2 already present" in capsys.readouterr().out
