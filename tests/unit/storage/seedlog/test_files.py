"""The CSV log read back for downloads: rotated days and today, oldest first, one header."""

from __future__ import annotations

from pathlib import Path

from energymon.storage.seedlog import HEADER, LOG_FILENAME, iter_log


def test_download_is_the_retained_window_oldest_first_with_one_header(tmp_path: Path) -> None:
    """iter_log joins rotated files and the current one, skipping a torn trailing line."""
    (tmp_path / f"{LOG_FILENAME}.2024-12-03").write_bytes(HEADER + b"2024-12-03 10:00:00,3.0,1\n")
    (tmp_path / f"{LOG_FILENAME}.2024-12-02").write_bytes(HEADER + b"2024-12-02 10:00:00,2.0,1\n")
    (tmp_path / LOG_FILENAME).write_bytes(HEADER + b"2024-12-04 10:00:00,4.0,1\n2024-12-04 1")
    (tmp_path / "api_access.log").write_bytes(b"not ours\n")
    assert b"".join(iter_log(tmp_path)) == (
        HEADER
        + b"2024-12-02 10:00:00,2.0,1\n"
        + b"2024-12-03 10:00:00,3.0,1\n"
        + b"2024-12-04 10:00:00,4.0,1\n"
    )


def test_download_of_an_empty_directory_is_the_header(tmp_path: Path) -> None:
    """No log yet: the download is just the header."""
    assert b"".join(iter_log(tmp_path)) == HEADER
