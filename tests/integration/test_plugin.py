"""The driver seam from outside: examples/energymon-ina238 installed with pip and used through
its entry point, next to a broken plugin, by the real command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "energymon-ina238"
DRIVER_FILE = EXAMPLE / "src" / "energymon_ina238" / "__init__.py"
TIMEOUT_SECONDS = 120
BROKEN_METADATA = "Metadata-Version: 2.1\nName: energymon-broken\nVersion: 0.1\n"

CONFIG = """
[storage]
data_dir = "{data_dir}"

[[appliances]]
id = 1
name = "E-bike battery"
driver = "ina238"
address = 0x40
shunt_ohms = 0.015
max_expected_amps = 10.0
[appliances.simulation]
profile = "constant"
volts = 36.0
amps = -4.0
noise = 0.0

[[appliances]]
id = 2
name = "Fridge"
driver = "simulated"
address = 0x41
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the example installed by pip (offline), and a plugin that cannot load."""
    work = tmp_path_factory.mktemp("plugins")
    source = shutil.copytree(EXAMPLE, work / "source", ignore=shutil.ignore_patterns("build"))
    target = work / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    offline = ["--no-deps", "--no-index", "--no-build-isolation"]  # the venv's setuptools builds
    subprocess.run(
        [*pip, *offline, "--target", str(target), str(source)],
        check=True,
        timeout=TIMEOUT_SECONDS,
    )
    # A distribution whose entry point raises on import, as a plugin with a bug does.
    info = target / "energymon_broken-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(BROKEN_METADATA, encoding="utf-8")
    entry_points = "[energymon.drivers]\nbroken = energymon_broken:DRIVER\n"
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    (target / "energymon_broken.py").write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    return target


def energymon(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m energymon ARGS` with the plugins' directory on the path."""
    env = os.environ | {"PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "energymon", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def test_the_example_driver_fits_in_sixty_lines() -> None:
    """The whole driver (options, sensor, probe, simulation hook, declaration) is one short file."""
    assert len(DRIVER_FILE.read_text(encoding="utf-8").splitlines()) <= 60


def test_drivers_lists_the_plugin_and_reports_the_broken_one_in_one_line(site: Path) -> None:
    """The plugin shows with its options; the broken plugin is one line on stderr."""
    result = energymon(site, "drivers")
    assert result.returncode == 0, result.stderr
    assert "ina238  (plugin energymon-ina238)" in result.stdout
    assert "shunt_ohms = 0.015" in result.stdout
    for builtin in ("ina219", "ina226", "ina260", "ina3221", "ina228", "hwmon", "simulated"):
        assert f"{builtin}  (energymon)" in result.stdout
    assert "broken  (plugin energymon-broken)  SKIPPED: RuntimeError: boom" in result.stdout
    (line,) = result.stderr.splitlines()
    assert "'broken'" in line
    assert "RuntimeError: boom" in line


def test_the_plugin_reads_its_simulated_chip_through_the_real_cli(
    site: Path, tmp_path: Path
) -> None:
    """driver = "ina238" with a simulation table reads V, A and W; the built-in works beside it."""
    config = tmp_path / "plugin.toml"
    config.write_text(CONFIG.format(data_dir=tmp_path / "data"), encoding="utf-8")
    result = energymon(site, "read", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    rows = {row["applianceId"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows[1]["status"] == rows[2]["status"] == "ok"
    assert rows[1]["volts"] == pytest.approx(36.0, abs=0.01)
    assert rows[1]["amps"] == pytest.approx(-4.0, abs=0.01)
    assert rows[1]["watts"] == pytest.approx(-144.0, abs=0.5)


def test_the_plugins_options_are_validated_with_the_configuration(
    site: Path, tmp_path: Path
) -> None:
    """A bad plugin option is one configuration error naming its key, before anything runs."""
    config = tmp_path / "bad.toml"
    text = CONFIG.format(data_dir=tmp_path / "data").replace("shunt_ohms = 0.015", "shunt_ohms = 0")
    config.write_text(text, encoding="utf-8")
    result = energymon(site, "check-config", "--config", str(config))
    assert result.returncode == 2
    assert "appliances[0].shunt_ohms (E-bike battery)" in result.stderr.splitlines()[-1]
