"""Subcommands that move data in and out: import, export, backup."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import shutil
import sys
from pathlib import Path

from energymon.bootstrap import DATABASE_NAME, open_store
from energymon.domain.buckets import local_day_bounds
from energymon.errors import EnergymonError
from energymon.runtime.datadir import return_files_to_owner
from energymon.settings import default_config_path, load_settings

__all__ = ["backup", "export", "import_csv"]

NO_LIMIT = 10**9  # export every reading in the range, without downsampling


def import_csv(args: argparse.Namespace) -> int:
    """Import CSV logs of the original system; bad rows are reported, good rows kept."""
    from energymon.storage.csvlog import parse_csv, readings_from_csv_rows

    settings = load_settings(args.config)
    known = {a.id for a in settings.appliances}
    store = open_store(settings)
    bad_rows = 0
    try:
        for path in args.files:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise EnergymonError(f"{path}: cannot read: {exc}") from exc
            rows, errors = parse_csv(lines)
            unknown = [row for row in rows if row.appliance_id not in known]
            for problem in errors:
                print(f"{path}:{problem.line}: {problem.message}", file=sys.stderr)
            if unknown:
                ids = sorted({row.appliance_id for row in unknown})
                print(
                    f"{path}: skipped {len(unknown)} rows of unconfigured appliance ids {ids}",
                    file=sys.stderr,
                )
            readings, gaps = readings_from_csv_rows(
                [row for row in rows if row.appliance_id in known], settings.zone
            )
            added = store.import_readings(readings, gaps)
            bad_rows += len(errors)
            print(
                f"{path}: {len(rows)} rows read, {added} new readings stored, "
                f"{len(readings) - added} already present, {len(errors)} bad rows"
            )
    finally:
        store.close()
        return_files_to_owner(settings.storage.data_dir)  # when root imported for the service
    return 1 if bad_rows else 0


def export(args: argparse.Namespace) -> int:
    """Write the readings of the last N local days to stdout as CSV or JSON lines."""
    settings = load_settings(args.config)
    if args.appliance is not None and args.appliance not in {a.id for a in settings.appliances}:
        raise EnergymonError(f"no appliance with id {args.appliance} in the configuration")
    zone = settings.zone
    store = open_store(settings)
    try:
        today = dt.datetime.now(zone).date()
        start_ms, _ = local_day_bounds(today - dt.timedelta(days=args.days - 1), zone)
        _, end_ms = local_day_bounds(today, zone)
        readings = store.readings_between(start_ms, end_ms, args.appliance, NO_LIMIT)
    finally:
        store.close()
    out = sys.stdout
    if args.format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["timestamp", "watts", "appliance_id"])
        for r in readings:
            local = dt.datetime.fromtimestamp(r.timestamp_ms / 1000, zone)
            writer.writerow(
                [local.strftime("%Y-%m-%d %H:%M:%S"), round(r.watts, 1), r.appliance_id]
            )
    else:
        for r in readings:
            local = dt.datetime.fromtimestamp(r.timestamp_ms / 1000, zone)
            out.write(
                json.dumps(
                    {
                        "timestamp": local.isoformat(),
                        "applianceId": r.appliance_id,
                        "watts": r.watts,
                        "volts": r.volts,
                        "amps": r.amps,
                        "energy_wh": r.energy_wh,
                        "covered_seconds": r.covered_seconds,
                        "samples": r.samples,
                    }
                )
                + "\n"
            )
    out.flush()
    return 0


def backup(args: argparse.Namespace) -> int:
    """Copy the database consistently (while the service runs) and the config into DEST."""
    config_path = args.config if args.config is not None else default_config_path()
    settings = load_settings(config_path)
    dest: Path = args.dest
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnergymonError(f"{dest}: cannot create: {exc.strerror or exc}") from exc
    target = dest / DATABASE_NAME
    if target.exists():
        raise EnergymonError(f"{target} exists already; choose an empty folder")
    store = open_store(settings)
    try:
        store.backup(target)
    finally:
        store.close()
    shutil.copy2(config_path, dest / "energymon.toml")
    print(f"backed up {settings.storage.data_dir / DATABASE_NAME} and {config_path} to {dest}")
    return 0
