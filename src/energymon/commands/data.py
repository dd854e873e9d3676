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
    from energymon.commands.importing import import_file

    settings = load_settings(args.config)
    store = open_store(settings)
    bad_rows = 0
    try:
        store.describe_appliances({a.id: a.name for a in settings.appliances})  # names, for later
        for path in args.files:
            bad_rows += import_file(path, settings, store)
    finally:
        store.close()
        return_files_to_owner(settings.storage.data_dir)  # when root imported for the service
    return 1 if bad_rows else 0


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
