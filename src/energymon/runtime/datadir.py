"""The data directory as a process sees it: one service at a time, and files it can write.

`energymon serve` holds an exclusive `flock` on `<data_dir>/energymon.lock` for its whole life.
The kernel drops that lock with the holder's last descriptor, so a SIGKILL or a power cut never
leaves a stale lock; the PID written inside only tells a second instance whom it met. Commands
that only read (`export`, `read`, `check-config`) never lock; `import` and `backup` need no lock
either, as SQLite's WAL and busy timeout order their writes with the service's.

Files made by root (`sudo energymon import`, `sudo cp` of a backup) are what a service running
as its own user most often cannot write: `serve` refuses them at start with a `chown` hint, and
`import` run as root hands what it wrote back to the data directory's owner.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import shlex
import stat
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from energymon.errors import EnergymonError
from energymon.storage.seedlog import LOG_FILENAME, logs_dir
from energymon.storage.sqlite import DB_FILENAME

__all__ = [
    "LOCK_FILENAME",
    "DataDirError",
    "DataDirLock",
    "refuse_unwritable_files",
    "return_files_to_owner",
]

LOCK_FILENAME = "energymon.lock"
ROOT_UID = 0
_PID_BYTES = 32


class DataDirError(EnergymonError):
    """The data directory is held by another process or has files this user cannot write."""


class DataDirLock:
    """An exclusive, non-blocking `flock` on `<data_dir>/energymon.lock`, held until release."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILENAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and write our PID; DataDirError naming the holder's PID if taken."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise DataDirError(f"{self.path}: cannot open the lock file: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise DataDirError(
                f"{self.data_dir} is in use by another energymon (PID {holder}); stop that one "
                "first (`sudo systemctl stop energy-monitor` for the service) or set "
                "storage.data_dir to another directory"
            ) from None
        except OSError as exc:  # ENOLCK: a file system without locks (some network mounts)
            os.close(fd)
            raise DataDirError(f"{self.path}: cannot lock: {exc.strerror}") from exc
        # Written after locking: whoever reads a PID here while the lock is held reads ours.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (closing the descriptor does it); the file stays for the next one."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> str:
    text = os.pread(fd, _PID_BYTES, 0).decode("ascii", errors="replace").strip()
    # Empty only in the moment between the holder's flock and its write.
    return text if text.isdigit() else "not yet written"


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a UID without a passwd entry (a restored backup, a container)
        return str(uid)


def _database_files(data_dir: Path) -> list[Path]:
    db = data_dir / DB_FILENAME
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def _served_files(data_dir: Path) -> list[Path]:
    """What `serve` writes in data_dir: the database, the lock, logs/ and the logs in it."""
    # Imported here: energymon.api pulls in FastAPI, which the commands that import this
    # module for return_files_to_owner need not load.
    from energymon.api.accesslog import ACCESS_LOG_NAME

    logs = logs_dir(data_dir)
    return [
        *_database_files(data_dir),
        data_dir / LOCK_FILENAME,
        logs,
        logs / LOG_FILENAME,
        logs / ACCESS_LOG_NAME,
    ]


def _unwritable(path: Path) -> os.stat_result | None:
    """The file's status when it exists and this process cannot write it, else None."""
    try:
        status = path.stat()
    except OSError:  # missing, or inside a directory we cannot search (reported itself)
        return None
    mode = os.W_OK | (os.X_OK if stat.S_ISDIR(status.st_mode) else 0)
    return None if os.access(path, mode, effective_ids=True) else status


def refuse_unwritable_files(data_dir: Path) -> None:
    """DataDirError in one line naming the first file `serve` could not write, its owner, the
    user that must write it and the command that fixes it all; nothing when all is writable."""
    uid = os.geteuid()
    user = _user_name(uid)
    blocked = [(path, status) for path in _served_files(data_dir) if (status := _unwritable(path))]
    if not blocked:
        return
    first, first_status = blocked[0]
    foreign = [shlex.quote(str(path)) for path, status in blocked if status.st_uid != uid]
    own = [shlex.quote(str(path)) for path, status in blocked if status.st_uid == uid]
    fixes = [f"sudo chown {user}: {' '.join(foreign)}"] if foreign else []
    fixes += [f"chmod u+rwX {' '.join(own)}"] if own else []
    if first_status.st_uid != uid:
        problem = (
            f"{first} is owned by {_user_name(first_status.st_uid)}, but energymon runs as "
            f"{user} and must write it"
        )
    else:
        mode = stat.filemode(first_status.st_mode)
        problem = f"{first} is not writable by its owner {user}, who runs energymon ({mode})"
    raise DataDirError(f"{problem}; fix with: {' && '.join(fixes)}")


def return_files_to_owner(data_dir: Path, report: Callable[[str], object] = print) -> list[Path]:
    """Run as root on another user's data directory, give the database and logs that root
    created or touched back to that user, and `report` it in one line; returns what changed.

    The service runs as the data directory's owner: a database file root created would make
    every flush fail (and `serve` refuse to start).
    """
    try:
        owner = data_dir.stat()
    except OSError:
        return []
    if os.geteuid() != ROOT_UID or owner.st_uid == ROOT_UID:
        return []
    logs = logs_dir(data_dir)
    candidates = [*_database_files(data_dir), logs]
    if logs.is_dir() and not logs.is_symlink():
        candidates += sorted(logs.iterdir())
    changed = [path for path in candidates if _give(path, owner.st_uid, owner.st_gid)]
    if changed:
        names = ", ".join(str(path.relative_to(data_dir)) for path in changed)
        report(
            f"energymon: gave {names} in {data_dir} back to {_user_name(owner.st_uid)}, "
            "who owns the data directory, so the service can still write them"
        )
    return changed


def _give(path: Path, uid: int, gid: int) -> bool:
    """chown a regular file or directory that is not uid:gid's already; True if it was changed."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return False
    # Never through a symlink: the directory's owner could point one at /etc/shadow.
    if not (stat.S_ISREG(status.st_mode) or stat.S_ISDIR(status.st_mode)):
        return False
    if (status.st_uid, status.st_gid) == (uid, gid):
        return False
    os.chown(path, uid, gid, follow_symlinks=False)
    return True
