#!/usr/bin/env bash
# Install (or upgrade) energymon as a systemd service on a Raspberry Pi. Idempotent: run it
# again after `git pull` to upgrade. Usage: sudo scripts/install.sh [--dry-run] [--no-start]
set -euo pipefail

SERVICE_USER=energymon
PREFIX=/opt/energymon
VENV="$PREFIX/venv"
CONFIG_DIR=/etc/energymon
CONFIG_FILE="$CONFIG_DIR/energymon.toml"
ENV_FILE="$CONFIG_DIR/energymon.env"
UNIT_NAME=energy-monitor.service
UNIT_PATH="/etc/systemd/system/$UNIT_NAME"
SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DRY_RUN=0
START=1

usage() {
    cat <<USAGE
Usage: $0 [--dry-run] [--no-start]

Creates the '$SERVICE_USER' system user (group i2c), a virtualenv in $VENV with energymon
installed from $SOURCE_DIR, $CONFIG_FILE (from config/energymon.pi.toml, only if absent),
$ENV_FILE with a freshly generated API key (mode 0600, only if absent), and the systemd
unit $UNIT_NAME, which it enables and (re)starts.

  -n, --dry-run   print the commands instead of running them (no root needed)
      --no-start  enable the unit but do not (re)start it
USAGE
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        -n | --dry-run) DRY_RUN=1 ;;
        --no-start) START=0 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "install.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

run() {
    if [[ $DRY_RUN -eq 1 ]]; then
        printf '+ %s\n' "$*"
    else
        "$@"
    fi
}

run_quiet() {
    if [[ $DRY_RUN -eq 1 ]]; then
        printf '+ %s\n' "$*"
    else
        "$@" >/dev/null
    fi
}

step() { printf '==> %s\n' "$*"; }

new_key() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }

if [[ $DRY_RUN -eq 0 && $EUID -ne 0 ]]; then
    echo "install.sh: run as root (sudo $0), or try --dry-run" >&2
    exit 1
fi

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "install.sh: energymon needs Python 3.11 or newer (python3 is $(python3 -V 2>&1))" >&2
    exit 1
fi

step "group i2c and user $SERVICE_USER"
if ! getent group i2c >/dev/null; then
    run groupadd --system i2c  # Raspberry Pi OS has it; elsewhere udev rules may need it too
fi
if id -u "$SERVICE_USER" >/dev/null 2>&1; then
    run usermod --append --groups i2c "$SERVICE_USER"
else
    run useradd --system --user-group --groups i2c --no-create-home \
        --home-dir "/var/lib/$SERVICE_USER" --shell /usr/sbin/nologin "$SERVICE_USER"
fi

# A copy, not an editable install: the unit's ProtectHome=yes hides checkouts under /home.
step "virtualenv $VENV"
run install -d -m 0755 "$PREFIX"
if [[ ! -x "$VENV/bin/python" ]]; then
    run python3 -m venv "$VENV"
fi
run "$VENV/bin/python" -m pip install --quiet --upgrade pip
run "$VENV/bin/python" -m pip install --quiet --upgrade "$SOURCE_DIR"
run install -m 0644 "$SOURCE_DIR/README.md" "$PREFIX/README.md"

step "configuration $CONFIG_FILE"
run install -d -m 0755 "$CONFIG_DIR"
if [[ -e "$CONFIG_FILE" ]]; then
    echo "    keeping the existing $CONFIG_FILE"
else
    run install -m 0640 -o root -g "$SERVICE_USER" "$SOURCE_DIR/config/energymon.pi.toml" \
        "$CONFIG_FILE"
fi
run_quiet "$VENV/bin/energymon" check-config --config "$CONFIG_FILE"  # fails on a bad config

# The Pi config listens on all interfaces, so the API gets a key from the start: 32 random
# bytes, in a file only root reads (systemd reads EnvironmentFile= as root, before it drops to
# the service user). An existing file, with a key of your own, is kept.
step "API key $ENV_FILE"
if [[ -e "$ENV_FILE" ]]; then
    echo "    keeping the existing $ENV_FILE"
elif [[ $DRY_RUN -eq 1 ]]; then
    echo "+ write ENERGYMON_API_KEY=<32 random bytes> to $ENV_FILE (mode 0600, root)"
else
    (umask 077 && printf 'ENERGYMON_API_KEY=%s\n' "$(new_key)" >"$ENV_FILE")
    chmod 0600 "$ENV_FILE"
    echo "    generated: sudo cat $ENV_FILE shows it; the dashboard asks for it once per browser"
fi

step "systemd unit $UNIT_NAME"
run install -m 0644 "$SOURCE_DIR/scripts/energy-monitor.service" "$UNIT_PATH"
run systemctl daemon-reload
run systemctl enable "$UNIT_NAME"
if [[ $START -eq 1 ]]; then
    run systemctl restart "$UNIT_NAME"
fi

if [[ ! -e /dev/i2c-1 ]]; then
    echo "note: /dev/i2c-1 is missing; enable I2C (sudo raspi-config -> Interface Options -> I2C)"
fi
step "done: systemctl status $UNIT_NAME; journalctl -u $UNIT_NAME -f"
