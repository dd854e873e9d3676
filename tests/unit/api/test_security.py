"""When an open API earns a warning: binds beyond loopback without a key."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from energymon.api.security import is_loopback, warn_if_open


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("pi.local", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    """Only loopback addresses keep the API on this machine."""
    assert is_loopback(host) is loopback


def test_open_api_beyond_loopback_is_warned_about() -> None:
    """No key and a LAN bind logs a warning; a key or a loopback bind does not."""
    with capture_logs() as logs:
        warn_if_open("0.0.0.0", key_configured=False)
        warn_if_open("0.0.0.0", key_configured=True)
        warn_if_open("127.0.0.1", key_configured=False)
    assert [entry["log_level"] for entry in logs] == ["warning"]
    assert logs[0]["host"] == "0.0.0.0"
