"""The energymon command line: read, check-config, import/export round trip, backup, errors."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from energymon.bootstrap import build
from energymon.cli import main
from energymon.settings import load_settings

ZONE = ZoneInfo("Europe/Berlin")

CONFIG = """
timezone = "Europe/Berlin"
[storage]
data_dir = "data"
flush_interval_seconds = 0.2
[sampling]
interval_seconds = 0.1
oversample_hz = 50
[[appliances]]
id = 1
name = "Lamp"
driver = "simulated"
address = 0x40
[appliances.simulation]
profile = "constant"
volts = 12.0
amps = 1.0
[[appliances]]
id = 2
name = "Pump"
driver = "simulated"
address = 0x41
[appliances.simulation]
profile = "constant"
volts = 12.0
amps = 2.0
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "energymon.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_read_json_gives_one_line_per_appliance(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`read --json` prints each simulated appliance with its volts, amps and watts."""
    assert main(["read", "--json", "--config", str(config)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["applianceId"], r["address"], r["status"]) for r in rows] == [
        (1, "0x40", "ok"),
        (2, "0x41", "ok"),
    ]
    assert rows[1]["amps"] == pytest.approx(2.0, rel=0.05)
    assert rows[1]["watts"] == pytest.approx(24.0, rel=0.05)


def test_check_config_prints_effective_settings(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check-config` prints the validated settings with resolved paths and hex addresses."""
    assert main(["check-config", "--config", str(config)]) == 0
    settings = json.loads(capsys.readouterr().out)
    assert settings["timezone"] == "Europe/Berlin"
    assert settings["storage"]["data_dir"] == str(config.parent / "data")
    assert [a["address"] for a in settings["appliances"]] == ["0x40", "0x41"]


def _seed_csv(start: dt.datetime, minutes: int) -> str:
    lines = ["timestamp,watts,appliance_id"]
    for i in range(minutes):
        stamp = (start + dt.timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{stamp},{100 + i % 7}.5,1")
        lines.append(f"{stamp},{20 + i % 3}.0,2")
    return "\n".join(lines) + "\n"


def _midnight_today() -> dt.datetime:
    return dt.datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)


def _todays_log(directory: Path, minutes: int) -> Path:
    """A seed CSV log of both appliances, a row a minute for `minutes` from local midnight."""
    log = directory / "energy_monitor.log"
    log.write_text(_seed_csv(_midnight_today(), minutes), encoding="utf-8")
    return log


def test_import_is_idempotent_and_export_gives_the_rows_back(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Importing a seed CSV log twice stores it once; export prints the same rows."""
    log = _todays_log(tmp_path, 120)
    assert main(["import", "--config", str(config), str(log)]) == 0
    first = capsys.readouterr().out
    assert "240 new readings stored" in first
    assert main(["import", "--config", str(config), str(log)]) == 0
    assert "0 new readings stored" in capsys.readouterr().out
    assert main(["export", "--config", str(config), "--days", "1"]) == 0
    exported = capsys.readouterr().out.splitlines()
    assert exported[0] == "timestamp,watts,appliance_id"
    original = log.read_text(encoding="utf-8").splitlines()
    assert sorted(exported[1:]) == sorted(original[1:])


def test_import_reports_bad_rows_by_line_and_keeps_good_ones(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed row is named by its line number; the others are imported."""
    log = tmp_path / "broken.csv"
    today = dt.datetime.now(ZONE).strftime("%Y-%m-%d")
    log.write_text(
        "timestamp,watts,appliance_id\n"
        f"{today} 00:00:00,10.0,1\n"
        f"{today} 00:01:00,lots,1\n"
        f"{today} 00:02:00,12.0,1\n",
        encoding="utf-8",
    )
    assert main(["import", "--config", str(config), str(log)]) == 1
    captured = capsys.readouterr()
    assert f"{log}:3:" in captured.err
    assert "2 new readings stored" in captured.out


def test_export_json_lines(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`export --format json` prints one object per reading with the seed's key names."""
    log = _todays_log(tmp_path, 3)
    main(["import", "--config", str(config), str(log)])
    capsys.readouterr()
    assert (
        main(["export", "-c", str(config), "--days", "1", "--appliance", "2", "--format", "json"])
        == 0
    )
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["applianceId"] for r in rows] == [2, 2, 2]
    assert {"timestamp", "watts", "volts", "amps", "energy_wh", "energy_out_wh"} <= set(rows[0])
    assert all(r["energy_out_wh"] == 0.0 for r in rows)  # a load: nothing flowed back


def test_backup_while_sampling_is_consistent(config: Path, tmp_path: Path) -> None:
    """A backup taken while the monitor samples and flushes opens, checks, and holds readings."""
    settings = load_settings(config)
    monitor = build(settings)
    enough = threading.Event()
    seen: list[int] = []

    def count(reading: object) -> None:
        seen.append(1)
        if len(seen) >= 20:
            enough.set()

    monitor.runner.subscribe(count)
    with monitor.runner:
        assert enough.wait(timeout=20), "the monitor produced no readings"
        assert monitor.runner.writer.flush()
        assert main(["backup", "--config", str(config), str(tmp_path / "backup")]) == 0
    copy = tmp_path / "backup" / "energymon.db"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert (tmp_path / "backup" / "energymon.toml").read_text(encoding="utf-8") == CONFIG
    from energymon.storage.sqlite import SqliteStore

    restored = SqliteStore(copy, zone=ZONE)
    try:
        assert len(restored.latest(1, 1000)) >= 5
    finally:
        restored.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["read", "--config", "/nonexistent/energymon.toml"], "configuration file not found"),
        (["export", "--days", "0"], "0 is not positive"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_errors_are_one_line_without_traceback(args: list[str], message: str) -> None:
    """Bad use prints one readable line on stderr and exits 2, never a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "energymon", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def _rows_of(csv_text: str) -> list[str]:
    return [line for line in csv_text.splitlines() if not line.startswith("timestamp")]


def test_import_adds_past_days_to_the_csv_log_and_names_what_it_left_out(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Retained past days go into the CSV log's files; today's and expired rows stay in the
    database only, and the output says so."""
    today = _midnight_today()
    past = _seed_csv(today - dt.timedelta(days=2, hours=-10), 3)
    expired = _seed_csv(today - dt.timedelta(days=20), 2)
    log = tmp_path / "history.csv"
    log.write_text(past + expired + _seed_csv(today, 1), encoding="utf-8")
    assert main(["import", "--config", str(config), str(log)]) == 0
    out = capsys.readouterr().out
    assert "12 new readings stored" in out
    assert "CSV log: 6 rows added to 1 past days" in out
    assert "in the database only, not in the CSV log: 2 rows of today or later" in out
    assert "4 rows older than the 7 days the CSV log keeps" in out
    day = (today - dt.timedelta(days=2)).date()
    rotated = tmp_path / "data" / "logs" / f"energy_monitor.log.{day}"
    assert _rows_of(rotated.read_text(encoding="utf-8")) == _rows_of(past)
    assert main(["import", "--config", str(config), str(log)]) == 0
    assert "CSV log: 0 rows added to 0 past days, 6 there already" in capsys.readouterr().out


def test_a_removed_appliance_can_be_exported_and_then_forgotten(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Data of an appliance dropped from the configuration stays reachable by its id until
    `forget ID --yes` deletes it; the other appliances keep theirs."""
    log = _todays_log(tmp_path, 3)
    main(["import", "--config", str(config), str(log)])
    assert main(["forget", "--config", str(config), "2"]) == 1
    assert "appliance 2 (Pump) is in the configuration" in capsys.readouterr().err
    reduced = tmp_path / "reduced.toml"
    reduced.write_text(CONFIG.split("[[appliances]]\nid = 2", maxsplit=1)[0], encoding="utf-8")

    def exported(appliance_id: int) -> list[str]:
        code = main(["export", "-c", str(reduced), "--days", "1", "--appliance", str(appliance_id)])
        return _rows_of(capsys.readouterr().out) if code == 0 else []

    assert len(exported(2)) == 3
    assert main(["forget", "--config", str(reduced), "2"]) == 0
    assert "would delete appliance 2 (Pump): 3 readings" in capsys.readouterr().out
    assert len(exported(2)) == 3
    assert main(["forget", "--config", str(reduced), "2", "--yes"]) == 0
    assert "deleted appliance 2 (Pump): 3 readings" in capsys.readouterr().out
    assert exported(2) == []
    assert "no appliance with id 2 in the configuration or the database" in capsys.readouterr().err
    assert len(exported(1)) == 3
