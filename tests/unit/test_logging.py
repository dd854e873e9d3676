"""configure_logging: one stderr stream, JSON off a terminal, uvicorn's access log silenced."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from energymon.logging import configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    access = logging.getLogger("uvicorn.access")
    access_disabled = access.disabled
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    access.disabled = access_disabled
    structlog.reset_defaults()


def test_json_lines_carry_event_level_and_logger(capsys: pytest.CaptureFixture[str]) -> None:
    """Our structlog events and stdlib records both come out as JSON objects."""
    configure_logging("info", json=True)
    structlog.get_logger("energymon.test").info("sampled", appliance="Fridge")
    logging.getLogger("uvicorn.error").warning("port %d busy", 8000)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(e["event"], e["level"], e["logger"]) for e in lines] == [
        ("sampled", "info", "energymon.test"),
        ("port 8000 busy", "warning", "uvicorn.error"),
    ]
    assert lines[0]["appliance"] == "Fridge"
    assert lines[0]["timestamp"].endswith("Z")


def test_console_output_is_readable_text(capsys: pytest.CaptureFixture[str]) -> None:
    """On a terminal the line is text with the event and its keys."""
    configure_logging("info", json=False)
    structlog.get_logger("energymon.test").info("serving", url="http://localhost:8000")
    err = capsys.readouterr().err
    assert "serving" in err
    assert "url=http://localhost:8000" in err
    assert not err.startswith("{")


def test_level_filters_and_uvicorn_access_log_is_off(capsys: pytest.CaptureFixture[str]) -> None:
    """Below the level nothing is written; uvicorn's access lines never are."""
    configure_logging("warning", json=True)
    structlog.get_logger("energymon.test").info("quiet")
    logging.getLogger("uvicorn.access").warning("GET / 200")
    assert capsys.readouterr().err == ""


def test_configuring_twice_keeps_one_handler() -> None:
    """Reconfiguring replaces our handler instead of adding a second."""
    configure_logging("info", json=True)
    configure_logging("debug", json=True)
    ours = [h for h in logging.getLogger().handlers if h.get_name() == "energymon-stderr"]
    assert len(ours) == 1
