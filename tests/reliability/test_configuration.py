"""R7: a broken configuration stops the real CLI with one line naming the problem and the key.

Each broken config is run through `energymon check-config` and `energymon serve` as
subprocesses (all at once, a few at a time, so the table stays fast): both must exit non-zero
with a single line on stderr that names the key (or the file and line), and no traceback.
tests/unit/test_settings.py checks the messages at the function level; this is the boundary a
person meets.
"""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import ENERGYMON, config_mapping, free_port, write_config

COMMANDS = ("check-config", "serve")
RUN_TIMEOUT_SECONDS = 30.0  # a broken config must stop the command long before this

Mapping = dict[str, Any]


@dataclass(frozen=True)
class Broken:
    """One broken configuration and what its message must name."""

    names: tuple[str, ...]  # every one of these appears in the message
    edit: Callable[[Mapping, Path], None] | None = None  # changes a valid mapping in place
    text: str | None = None  # or: the file's whole text
    env: dict[str, str] = field(default_factory=dict)
    missing_file: bool = False
    # Run through `serve` too. Settings errors come from the same load_settings in both
    # commands, so serve runs for a few of them and for every one found only when starting.
    serve: bool = False


def _set(path: str, value: Any) -> Callable[[Mapping, Path], None]:
    """An edit that sets one key, e.g. "server.port" or "appliances.0.address"."""

    def edit(mapping: Mapping, tmp: Path) -> None:
        *parents, last = path.split(".")
        node: Any = mapping
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return edit


def _key_file(content: bytes | None) -> Callable[[Mapping, Path], None]:
    """server.api_key_file naming a file with `content`, or a directory when None."""

    def edit(mapping: Mapping, tmp: Path) -> None:
        path = tmp / "api_key"
        if content is None:
            path.mkdir()
        else:
            path.write_bytes(content)
        mapping["server"]["api_key_file"] = str(path)

    return edit


def _data_dir_under_a_file(mapping: Mapping, tmp: Path) -> None:
    (tmp / "a-file").write_text("not a directory", encoding="utf-8")
    mapping["storage"]["data_dir"] = str(tmp / "a-file" / "data")


def _duplicate_address(mapping: Mapping, tmp: Path) -> None:
    mapping["appliances"][1]["address"] = mapping["appliances"][0]["address"]


def _duplicate_id(mapping: Mapping, tmp: Path) -> None:
    mapping["appliances"][1]["id"] = mapping["appliances"][0]["id"]


def _unknown_driver(mapping: Mapping, tmp: Path) -> None:
    del mapping["appliances"][0]["simulation"]
    mapping["appliances"][0]["driver"] = "ina999"


def _no_appliances(mapping: Mapping, tmp: Path) -> None:
    mapping["appliances"] = []


CASES: dict[str, Broken] = {
    "toml-syntax-error": Broken(
        ("energymon.toml", "line 1"), text="[server\nport = 1\n", serve=True
    ),
    "unknown-top-level-key": Broken(("colour", "unknown key"), _set("colour", "red")),
    "unknown-server-key": Broken(("server.colour", "unknown key"), _set("server.colour", "red")),
    "unknown-appliance-key": Broken(
        ("appliances[0].colour", "Refrigerator", "unknown key"),
        _set("appliances.0.colour", "x"),
        serve=True,
    ),
    "duplicate-address": Broken(
        ("appliances", "0x40", "Refrigerator"), _duplicate_address, serve=True
    ),
    "duplicate-id": Broken(("appliances", "id 1"), _duplicate_id),
    "no-appliances": Broken(("appliances",), _no_appliances),
    "port-out-of-range": Broken(("server.port", "65535"), _set("server.port", 70000)),
    "port-not-a-number": Broken(("server.port", "integer"), _set("server.port", "eighty")),
    "interval-zero": Broken(("sampling.interval_seconds",), _set("sampling.interval_seconds", 0)),
    "retention-zero": Broken(("storage.retention_days",), _set("storage.retention_days", 0)),
    "address-out-of-range": Broken(
        ("appliances[0].address", "0x4F"), _set("appliances.0.address", 0x80)
    ),
    "shunt-range-exceeded": Broken(
        ("appliances[0]", "max_expected_amps"), _set("appliances.0.max_expected_amps", 10.0)
    ),
    "negative-price": Broken(("tariff.price_per_kwh",), _set("tariff.price_per_kwh", -1)),
    "unknown-timezone": Broken(("timezone", "Mars/Olympus"), _set("timezone", "Mars/Olympus")),
    "unknown-driver": Broken(("Refrigerator", "driver", "ina999"), _unknown_driver, serve=True),
    "unknown-profile": Broken(
        ("Refrigerator", "simulation.profile", "toaster"),
        _set("appliances.0.simulation", {"profile": "toaster"}),
        serve=True,
    ),
    "environment-override-not-a-number": Broken(
        ("server.port",), env={"ENERGYMON_SERVER__PORT": "eighty"}, serve=True
    ),
    "missing-file": Broken(("energymon.toml", "not found"), missing_file=True, serve=True),
    "key-file-is-a-directory": Broken(("server.api_key_file",), _key_file(None), serve=True),
    "key-file-missing": Broken(
        ("server.api_key_file",), _set("server.api_key_file", "/nonexistent/api_key"), serve=True
    ),
    "key-file-empty": Broken(("server.api_key_file", "empty"), _key_file(b"\n"), serve=True),
    "key-file-not-text": Broken(
        ("server.api_key_file",), _key_file(b"\xff\xfe\x00key"), serve=True
    ),
    "data-dir-under-a-file": Broken(("storage.data_dir",), _data_dir_under_a_file, serve=True),
}  # fmt: skip


JOBS = [
    (name, command)
    for name, case in CASES.items()
    for command in (COMMANDS if case.serve else COMMANDS[:1])
]


@dataclass(frozen=True)
class Outcome:
    """How one command ended."""

    returncode: int
    stdout: str
    stderr: str


def _prepare(name: str, case: Broken, tmp: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp / name
    folder.mkdir()
    config = folder / "energymon.toml"
    if case.text is not None:
        config.write_text(case.text, encoding="utf-8")
    elif not case.missing_file:
        mapping = copy.deepcopy(config_mapping(folder / "data"))
        if case.edit is not None:
            case.edit(mapping, folder)
        write_config(config, mapping)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENERGYMON_")}
    return config, env | case.env


def _run(command: str, config: Path, env: dict[str, str]) -> Outcome:
    args = [str(ENERGYMON), command, "--config", str(config)]
    if command == "serve":
        args += ["--port", str(free_port())]
    try:
        result = subprocess.run(
            args, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:  # it started: the config was accepted
        return Outcome(0, str(exc.stdout or ""), f"still running after {RUN_TIMEOUT_SECONDS} s")
    return Outcome(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Outcome]:
    """Every broken config through both commands, four processes at a time."""
    tmp = tmp_path_factory.mktemp("configs")
    prepared = {name: _prepare(name, case, tmp) for name, case in CASES.items()}
    jobs = JOBS
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda job: _run(job[1], *prepared[job[0]]), jobs)
        return dict(zip(jobs, results, strict=True))


@pytest.mark.parametrize(("name", "command"), JOBS, ids=[f"{n}-{c}" for n, c in JOBS])
def test_a_broken_config_stops_the_command_with_one_line_naming_the_key(
    outcomes: dict[tuple[str, str], Outcome], name: str, command: str
) -> None:
    """The command exits non-zero; stderr is one line naming the key; no traceback."""
    outcome = outcomes[(name, command)]
    lines = outcome.stderr.strip().splitlines()
    assert outcome.returncode != 0, f"{command} accepted it: {outcome.stderr or outcome.stdout}"
    assert "Traceback" not in outcome.stderr
    assert len(lines) == 1, outcome.stderr
    assert lines[0].startswith("energymon: "), lines[0]
    missing = [text for text in CASES[name].names if text not in lines[0]]
    assert missing == [], f"{lines[0]!r} does not name {missing}"
