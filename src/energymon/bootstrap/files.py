"""The files settings point at, checked before anything is built: data directory, API key file.

Only the composition root reads them; the layers below receive a path that works and the
key's bytes, never a file name to open or an environment variable to look up.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from energymon.errors import ConfigError
from energymon.settings import Settings

__all__ = ["check_data_dir", "load_api_key", "prepare_data_dir"]

_PERMISSION_HINT = " (run as a user that may write there, or set storage.data_dir)"


def load_api_key(settings: Settings) -> bytes | None:
    """The configured key: $ENERGYMON_API_KEY, else server.api_key_file, else None (open API)."""
    if settings.api_key is not None:
        key = settings.api_key.get_secret_value().strip()
        if not key:
            raise ConfigError("ENERGYMON_API_KEY is set but empty; unset it or give a key")
        return key.encode()
    path = settings.server.api_key_file
    if path is None:
        return None
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"server.api_key_file {path}: cannot read: {reason}") from exc
    if not key:
        raise ConfigError(f"server.api_key_file {path}: the file is empty")
    return key.encode()


def prepare_data_dir(settings: Settings) -> Path:
    """Create the data directory (and logs/ in it); ConfigError naming it when impossible."""
    data_dir = settings.storage.data_dir
    check_data_dir(data_dir)
    try:
        (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"storage.data_dir: {_cannot(data_dir)} {data_dir}: {reason}"
            + (_PERMISSION_HINT if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else "")
        ) from exc
    return data_dir


def _visible(path: Path) -> bool:
    try:
        path.stat()
    except OSError:  # missing, or behind a directory this user may not search
        return False
    return True


def _cannot(data_dir: Path) -> str:
    # A directory that exists already was not to be created: what fails is writing in it.
    return "cannot write" if _visible(data_dir) else "cannot create"


def check_data_dir(data_dir: Path) -> None:
    """ConfigError when data_dir cannot be created or written, without creating it."""
    existing = data_dir
    while not _visible(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(
            f"storage.data_dir: {_cannot(data_dir)} {data_dir}: {existing} is not a directory"
        )
    if not os.access(existing, os.W_OK | os.X_OK, effective_ids=True):
        raise ConfigError(
            f"storage.data_dir: {_cannot(data_dir)} {data_dir}: {existing} is not writable"
            + _PERMISSION_HINT
        )
