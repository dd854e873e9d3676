"""Issue 10, items 2, 3 and 6: the data directory's files as a Pi in the field leaves them.

A second `energymon serve` on the same data directory, files owned by root (`sudo energymon
import`, `sudo cp` of a backup), a database from a newer energymon, a data directory that
cannot be written, and SIGHUP. Every case runs the real CLI as a subprocess on real files.

Running as root, the tests run the service as `nobody`, the way systemd runs it as its own
user; as anyone else they run it as themselves and make files unwritable with chmod instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from energymon.runtime.datadir import LOCK_FILENAME
from energymon.storage.sqlite import DB_FILENAME, SqliteStore
from energymon.storage.sqlite.migrations import MIGRATIONS
from tests.e2e.support import ENERGYMON, ZONE, ServerProcess, free_port, make_server
from tests.reliability.support import (
    APPLIANCE_IDS,
    FAST,
    SOAK,
    Budget,
    Figures,
    epoch_ms,
    make_piped_server,
    read_database,
)

RUN_TIMEOUT_SECONDS = 30.0  # a command that must refuse to start does so within a second
HISTORY_LIMIT = 1000
NOBODY = pwd.getpwnam("nobody")
IS_ROOT = os.geteuid() == 0
SERVICE_USER = NOBODY.pw_name if IS_ROOT else pwd.getpwuid(os.geteuid()).pw_name
# Restarts on a root-owned copy of the database: one in every run, many in `make soak`.
OWNERSHIP_ROUNDS = {FAST.name: 1, SOAK.name: 20}

needs_root = pytest.mark.skipif(
    not IS_ROOT, reason="only root can leave a file owned by another user (chmod cases run)"
)


def _as_service_user() -> list[str]:
    """The command prefix that runs energymon as an unprivileged service user."""
    if not IS_ROOT:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux) to become nobody")
    # CAP_DAC_READ_SEARCH lets nobody read and search, never write: the venv's interpreter may
    # live under a 0700 /root (pyenv), and write permission, the subject here, is untouched.
    return [
        setpriv,
        f"--reuid={NOBODY.pw_uid}",
        f"--regid={NOBODY.pw_gid}",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
    ]


def _give_to_service_user(path: Path) -> None:
    """Make `path` and all below it the service user's (ours already unless we are root)."""
    if IS_ROOT:
        for item in [path, *path.rglob("*")]:
            os.chown(item, NOBODY.pw_uid, NOBODY.pw_gid)


def _energymon(
    command: str, config: Path, *args: str, as_service_user: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run one command to its end (`serve` too: here it must refuse to start)."""
    argv = [*(_as_service_user() if as_service_user else []), str(ENERGYMON), command]
    argv += ["--config", str(config), *args]
    if command == "serve":
        argv += ["--port", str(free_port())]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENERGYMON_")}
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`energymon {command}` still running after {RUN_TIMEOUT_SECONDS} s")


def _refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one stderr line of a command that must have refused (non-zero, no traceback)."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0, f"it ran: {result.stdout[-500:]}"
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("energymon: "), lines[0]
    return lines[0]


def _make_database(data_dir: Path) -> Path:
    """A real, empty energymon database in data_dir, made by this process (root's if root)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DB_FILENAME
    SqliteStore(path, zone=ZoneInfo(ZONE)).close()
    return path


def _lock_holder(data_dir: Path) -> str:
    return (data_dir / LOCK_FILENAME).read_text(encoding="ascii").strip()


def _served(client: httpx.Client) -> set[tuple[int, int]]:
    """(appliance_id, timestamp_ms) of every reading the API serves (database and buffer)."""
    keys = set()
    for appliance_id in APPLIANCE_IDS:
        response = client.get(
            "/energy/history", params={"applianceId": appliance_id, "limit": HISTORY_LIMIT}
        )
        assert response.status_code == 200, response.text
        keys |= {(appliance_id, epoch_ms(r["timestamp_utc"])) for r in response.json()["data"]}
    return keys


class ServiceUserServer(ServerProcess):
    """`energymon serve` as the service user (nobody when the tests run as root)."""

    def start(self) -> None:
        """Start the process and wait until every appliance has a reading."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENERGYMON_")}
        argv = [*_as_service_user(), str(ENERGYMON), "serve", "--config", str(self.config_path)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*argv, "--port", str(self.port)], stdout=log, stderr=log, env=env
            )
        self._wait_ready()


# -- one instance per data directory ---------------------------------------------------------


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One service holding its data directory for the tests that meet it."""
    server = make_server(tmp_path_factory.mktemp("running"))
    server.start()
    yield server
    assert server.stop() == 0


def test_a_second_serve_exits_with_one_line_naming_the_data_dir_and_the_holder(
    running: ServerProcess,
) -> None:
    """The second instance stops at once; the first goes on serving."""
    assert running.process is not None
    line = _refusal(_energymon("serve", running.config_path))
    assert str(running.data_dir) in line
    assert f"PID {running.process.pid}" in line
    assert running.process.poll() is None
    with running.client() as client:
        assert client.get("/energy", params={"applianceId": 1}).status_code == 200


@pytest.mark.parametrize("command", ["export", "read", "check-config", "import", "backup"])
def test_other_commands_work_beside_a_running_service(
    running: ServerProcess, tmp_path: Path, command: str
) -> None:
    """Read-only commands never lock; import and backup share the database through WAL."""
    assert running.process is not None
    assert _lock_holder(running.data_dir) == str(running.process.pid)
    args = {
        "export": ["--days", "1"],
        "read": ["--json"],
        "import": [str(tmp_path / "old.csv")],
        "backup": [str(tmp_path / "backup")],
    }.get(command, [])
    (tmp_path / "old.csv").write_text(
        "timestamp,watts,appliance_id\n2024-12-04 10:00:00,5.0,1\n2024-12-04 10:00:01,6.0,1\n",
        encoding="utf-8",
    )
    result = _energymon(command, running.config_path, *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "no output"
    assert running.process.poll() is None


def test_after_a_sigkill_the_next_serve_takes_the_data_dir_over(tmp_path: Path) -> None:
    """The kernel frees a killed holder's lock: a new service starts and holds it at once."""
    first = make_server(tmp_path)
    first.start()
    first.kill()
    second = ServerProcess(first.config_path, first.data_dir, free_port(), first.log_path)
    second.start()
    try:
        assert second.process is not None
        assert _lock_holder(second.data_dir) == str(second.process.pid)
        assert f"PID {second.process.pid}" in _refusal(_energymon("serve", first.config_path))
    finally:
        assert second.stop() == 0


# -- files the service cannot write ----------------------------------------------------------


@needs_root
def test_serve_refuses_a_database_owned_by_root_naming_owner_user_and_chown(
    tmp_path: Path,
) -> None:
    """A root-owned energymon.db in nobody's data directory: one line with the fix."""
    server = make_server(tmp_path)
    server.data_dir.mkdir()
    _give_to_service_user(server.data_dir)
    db = _make_database(server.data_dir)  # as root, like `sudo energymon import` would
    line = _refusal(_energymon("serve", server.config_path, as_service_user=True))
    assert f"{db} is owned by root" in line
    assert f"runs as {SERVICE_USER}" in line
    assert f"sudo chown {SERVICE_USER}: {db}" in line


def test_serve_refuses_a_read_only_database_naming_it_and_the_chmod(tmp_path: Path) -> None:
    """energymon.db of mode 0444: one line naming the file, the user and the chmod."""
    server = make_server(tmp_path)
    db = _make_database(server.data_dir)
    _give_to_service_user(server.data_dir)
    db.chmod(0o444)
    line = _refusal(_energymon("serve", server.config_path, as_service_user=True))
    assert f"{db} is not writable by its owner {SERVICE_USER}" in line
    assert f"chmod u+rwX {db}" in line


@pytest.mark.parametrize("command", ["check-config", "serve"])
def test_a_data_dir_that_exists_but_cannot_be_written_is_named_with_cannot_write(
    tmp_path: Path, command: str
) -> None:
    """Not "cannot create": the directory is there, writing in it is what fails."""
    server = make_server(tmp_path)
    server.data_dir.mkdir()  # root's, 0755, when we are root
    if not IS_ROOT:
        server.data_dir.chmod(0o555)
    line = _refusal(_energymon(command, server.config_path, as_service_user=True))
    assert f"cannot write {server.data_dir}" in line


@needs_root
def test_import_as_root_leaves_every_file_to_the_data_dir_owner(tmp_path: Path) -> None:
    """`sudo energymon import` into nobody's data directory: nobody owns what it wrote, says
    so in one line, and the service starts on it."""
    server = make_server(tmp_path)
    server.data_dir.mkdir()
    _give_to_service_user(server.data_dir)
    csv = tmp_path / "old.csv"
    csv.write_text("timestamp,watts,appliance_id\n2024-12-04 10:00:00,5.0,1\n", encoding="utf-8")
    result = _energymon("import", server.config_path, str(csv))
    assert result.returncode == 0, result.stderr
    owners = {
        str(path.relative_to(server.data_dir)): pwd.getpwuid(path.stat().st_uid).pw_name
        for path in server.data_dir.rglob("*")
    }
    assert DB_FILENAME in owners
    assert set(owners.values()) == {SERVICE_USER}, owners
    notes = [line for line in result.stdout.splitlines() if SERVICE_USER in line]
    assert len(notes) == 1, result.stdout
    assert DB_FILENAME in notes[0]
    service = ServiceUserServer(server.config_path, server.data_dir, free_port(), server.log_path)
    service.start()
    assert service.stop() == 0


# -- clear words -----------------------------------------------------------------------------


def test_a_database_from_a_newer_energymon_is_refused_naming_file_and_both_versions(
    tmp_path: Path,
) -> None:
    """The message names energymon.db, its schema version and the newest this one knows."""
    server = make_server(tmp_path)
    db = _make_database(server.data_dir)
    newer = len(MIGRATIONS) + 5
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {newer}")
    conn.close()
    line = _refusal(_energymon("serve", server.config_path))
    assert f"{db}: database schema version {newer}" in line
    assert f"up to {len(MIGRATIONS)}" in line


def test_sighup_stops_serve_gracefully_with_buffered_readings_flushed(tmp_path: Path) -> None:
    """Readings only in memory when SIGHUP arrives are in the database after the exit."""
    server = make_piped_server(tmp_path, storage={"flush_interval_seconds": 3600})
    server.start()
    with server.client() as client:
        served = _served(client)
    assert served
    assert not read_database(server.data_dir).readings, "flushed already: not a buffer test"
    assert server.stop(signal.SIGHUP) == 0
    server.wait_output_closed()
    assert served <= set(read_database(server.data_dir).readings)
    hangups = [line for line in server.full_output().splitlines() if "SIGHUP" in line]
    assert len(hangups) == 1, server.full_output()[-2000:]


# -- soak: restarts on a root-owned copy -----------------------------------------------------


def _replace_with_unwritable_copy(db: Path) -> None:
    """What `sudo cp backup.db energymon.db` after an `rm` leaves: a copy that is root's
    (or, when we are not root, one of mode 0444)."""
    copy = db.with_name(db.name + ".restored")
    shutil.copyfile(db, copy)
    if not IS_ROOT:
        copy.chmod(0o444)
    os.replace(copy, db)


def test_a_restart_on_a_root_owned_copy_is_refused_until_fixed_and_loses_nothing(
    tmp_path: Path, budget: Budget, figures: Figures
) -> None:
    """Each round: serve, stop, replace energymon.db by a copy the service cannot write,
    restart (refused, one line with the fix), apply the fix; every served reading stays."""
    base = make_server(tmp_path)
    base.data_dir.mkdir()
    _give_to_service_user(base.data_dir)
    db = base.data_dir / DB_FILENAME
    served: set[tuple[int, int]] = set()
    for _ in range(OWNERSHIP_ROUNDS[budget.name]):
        server = ServiceUserServer(base.config_path, base.data_dir, free_port(), base.log_path)
        server.start()
        with server.client() as client:
            served |= _served(client)
        assert server.stop() == 0
        _replace_with_unwritable_copy(db)
        line = _refusal(_energymon("serve", base.config_path, as_service_user=True))
        assert str(db) in line
        assert ("owned by root" if IS_ROOT else "not writable") in line
        figures.add("restarts refused on an unwritable database")
        _give_to_service_user(base.data_dir)  # the chown of the hint
        db.chmod(0o644)  # the chmod of the hint, when not root
    final = ServiceUserServer(base.config_path, base.data_dir, free_port(), base.log_path)
    final.start()
    assert final.stop() == 0
    disk = read_database(base.data_dir)
    assert disk.integrity == ["ok"]
    assert served <= set(disk.readings)
