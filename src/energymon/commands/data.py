"""Subcommands that move data in and out: import, export, backup, forget."""

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
from energymon.domain.model import Reading
from energymon.errors import EnergymonError
from energymon.runtime.datadir import return_files_to_owner
from energymon.settings import Settings, default_config_path, load_settings
from energymon.storage.base import ReadingStore

__all__ = ["backup", "export", "forget", "import_csv"]

NO_LIMIT = 10**9  # export every reading in the range, without downsampling


def import_csv(args: argparse.Namespace) -> int:
    """Import CSV logs of the original system; bad rows are reported, good rows kept.

    Readings go into the database (the statistics of their days; their energy is counted as
    imported, never as live) and into the CSV log's files of the past days it retains.
    """
    from energymon.storage.seedlog import parse_csv, readings_from_csv_rows

    settings = load_settings(args.config)
    known = {a.id for a in settings.appliances}
    store = open_store(settings)
    bad_rows = 0
    try:
        store.describe_appliances({a.id: a.name for a in settings.appliances})  # names, for later
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
            _import_into_csv_log(path, readings, settings)
    finally:
        store.close()
        return_files_to_owner(settings.storage.data_dir)  # when root imported for the service
    return 1 if bad_rows else 0


def _import_into_csv_log(path: Path, readings: list[Reading], settings: Settings) -> None:
    """Merge imported readings into the CSV log's past days, and say what it left out."""
    from energymon.storage.seedlog import logs_dir, merge_into_history

    logs = logs_dir(settings.storage.data_dir)
    retention_days = settings.storage.retention_days
    try:
        merged = merge_into_history(
            logs,
            readings,
            settings.zone,
            today=dt.datetime.now(settings.zone).date(),
            retention_days=retention_days,
        )
    except OSError as exc:
        raise EnergymonError(
            f"{path}: the readings are in the database, but the CSV log in {logs} "
            f"could not be written: {exc}"
        ) from exc
    days = f" ({merged.days[0]} to {merged.days[-1]})" if merged.days else ""
    print(
        f"{path}: CSV log: {merged.written} rows added to {len(merged.days)} past days{days}, "
        f"{merged.present} there already"
    )
    if merged.running_day or merged.expired:
        print(
            f"{path}: in the database only, not in the CSV log: {merged.running_day} rows of "
            f"today or later (the running service writes today's file), {merged.expired} rows "
            f"older than the {retention_days} days the CSV log keeps"
        )


def _check_exportable(appliance_id: int, settings: Settings, store: ReadingStore) -> None:
    """An appliance can be exported while configured, or while its data is stored."""
    configured = {a.id for a in settings.appliances}
    if appliance_id not in configured and appliance_id not in store.lifetime_energy_wh():
        raise EnergymonError(
            f"no appliance with id {appliance_id} in the configuration or the database"
        )


def export(args: argparse.Namespace) -> int:
    """Write the readings of the last N local days to stdout as CSV or JSON lines.

    An appliance removed from the configuration can be exported by its id while its data stays.
    """
    settings = load_settings(args.config)
    zone = settings.zone
    store = open_store(settings)
    try:
        if args.appliance is not None:
            _check_exportable(args.appliance, settings, store)
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
                        "energy_out_wh": r.out_wh,
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


def forget(args: argparse.Namespace) -> int:
    """Delete the stored data of an appliance removed from the configuration (with --yes)."""
    settings = load_settings(args.config)
    configured = {a.id: a.name for a in settings.appliances}
    appliance_id: int = args.appliance
    if appliance_id in configured:
        raise EnergymonError(
            f"appliance {appliance_id} ({configured[appliance_id]}) is in the configuration; "
            "remove it there and restart the service before deleting its data"
        )
    store = open_store(settings)
    try:
        removed = {a.appliance_id: a for a in store.describe_appliances(configured)}
        if appliance_id not in removed:
            raise EnergymonError(f"no stored data of appliance {appliance_id}")
        stored = removed[appliance_id]
        what = (
            f"appliance {appliance_id} ({stored.name or 'name unknown'}): "
            f"{stored.readings} readings, {stored.energy_wh / 1000:.3f} kWh"
        )
        if not args.yes:
            print(f"would delete {what}; run again with --yes to delete it")
            return 0
        store.forget_appliance(appliance_id)
        print(f"deleted {what}")
    finally:
        store.close()
        return_files_to_owner(settings.storage.data_dir)  # when root ran it for the service
    return 0
