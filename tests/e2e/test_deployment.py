"""The systemd unit is hardened as promised, and install.sh explains itself in a dry run."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def test_unit_runs_as_its_own_user_with_i2c_access_only(
    systemd_unit: configparser.ConfigParser,
) -> None:
    """The service runs as energymon in group i2c, with only /dev/i2c-1 of the devices."""
    service = systemd_unit["Service"]
    assert service["User"] == "energymon"
    assert service["SupplementaryGroups"] == "i2c"
    assert service["DevicePolicy"] == "closed"
    assert service["DeviceAllow"] == "/dev/i2c-1 rw"
    assert service["CapabilityBoundingSet"] == ""


def test_unit_is_hardened(systemd_unit: configparser.ConfigParser) -> None:
    """The file system is read-only but for the state directory, privileges are locked, and the
    kernel, process, syscall and address-family restrictions systemd-analyze security scores
    are set."""
    service = systemd_unit["Service"]
    expected = {
        "StateDirectory": "energymon",
        "ConfigurationDirectory": "energymon",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectKernelLogs": "yes",
        "ProtectControlGroups": "yes",
        "ProtectClock": "yes",
        "ProtectHostname": "yes",
        "ProtectProc": "invisible",
        "ProcSubset": "pid",
        "RestrictNamespaces": "yes",
        "RestrictRealtime": "yes",
        "RestrictSUIDSGID": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "RemoveIPC": "yes",
        "AmbientCapabilities": "",
        "SystemCallArchitectures": "native",
        "SystemCallFilter": "@system-service",
        "UMask": "0027",
    }
    assert {key: service.get(key) for key in expected} == expected
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}


def test_unit_is_a_notify_service_with_a_watchdog(systemd_unit: configparser.ConfigParser) -> None:
    """Type=notify with WatchdogSec, restarted always, running the installed venv's CLI."""
    service = systemd_unit["Service"]
    assert service["Type"] == "notify"
    assert service["NotifyAccess"] == "main"
    assert service["WatchdogSec"] == "30"
    assert service["Restart"] == "always"
    assert service["ExecStart"] == (
        "/opt/energymon/venv/bin/energymon serve --config /etc/energymon/energymon.toml"
    )
    assert systemd_unit["Install"]["WantedBy"] == "multi-user.target"


def test_install_script_dry_run_lists_every_step_without_root() -> None:
    """`install.sh --dry-run` prints the user, venv, config and unit steps and changes nothing."""
    result = subprocess.run(
        ["bash", str(SCRIPTS / "install.sh"), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "useradd" in out or "usermod --append --groups i2c energymon" in out
    assert "python3 -m venv /opt/energymon/venv" in out or "/opt/energymon/venv/bin/python" in out
    assert "/etc/energymon/energymon.toml" in out
    assert "systemctl enable energy-monitor.service" in out
    assert "ENERGYMON_API_KEY=<32 random bytes> to /etc/energymon/energymon.env (mode 0600" in out


def test_install_script_refuses_to_run_as_a_normal_user_without_dry_run() -> None:
    """Without root and without --dry-run the script stops before doing anything."""
    # The script comes on stdin from "/", so the unprivileged user needs no access to the checkout.
    command = ["bash", "-s"]
    if os.geteuid() == 0:  # drop to nobody, as a user without sudo would run it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop privileges")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    result = subprocess.run(
        command,
        input=(SCRIPTS / "install.sh").read_text(encoding="utf-8"),
        cwd="/",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "run as root" in result.stderr
