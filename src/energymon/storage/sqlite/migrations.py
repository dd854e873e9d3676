"""The schema's versions: each migration takes a database from PRAGMA user_version n to n + 1.

Append, never edit: a database made by any earlier energymon is brought up to date step by
step (energymon.storage.sqlite.schema.migrate), each step in its own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["MIGRATIONS", "ROLLUP_TABLES", "Migration"]

ROLLUP_TABLES = ("rollup_minute", "rollup_hour", "rollup_day")

_ROLLUP_COLUMNS = """(
    bucket_ms INTEGER NOT NULL,
    appliance_id INTEGER NOT NULL,
    count INTEGER NOT NULL,
    sum_watts REAL NOT NULL,
    min_watts REAL NOT NULL,
    max_watts REAL NOT NULL,
    energy_wh REAL NOT NULL,
    covered_s REAL NOT NULL,
    sum_volts REAL NOT NULL,
    sum_amps REAL NOT NULL,
    energy_in_wh REAL NOT NULL,
    PRIMARY KEY (bucket_ms, appliance_id)
) WITHOUT ROWID"""

# Rollups are keyed by bucket first: one flush touches one leaf per tier, whatever the number
# of appliances, and daily stats pool the appliances of a day anyway. (v1 keyed raw readings
# by appliance first; v2 replaces that table.)
_SCHEMA_V1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID",
    """CREATE TABLE readings (
        appliance_id INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        watts REAL NOT NULL,
        volts REAL NOT NULL,
        amps REAL NOT NULL,
        energy_wh REAL NOT NULL,
        covered_s REAL NOT NULL,
        samples INTEGER NOT NULL,
        PRIMARY KEY (appliance_id, ts_ms)
    ) WITHOUT ROWID""",
    *(f"CREATE TABLE {table} {_ROLLUP_COLUMNS}" for table in ROLLUP_TABLES),
    # Lifetime counters are the day rollups' energy_in_wh summed: days are kept forever, so
    # the counters never go back, and no counter row is rewritten by every flush.
    "CREATE TABLE appliances (appliance_id INTEGER PRIMARY KEY)",
    """CREATE TABLE gaps (
        appliance_id INTEGER NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        PRIMARY KEY (appliance_id, start_ms)
    ) WITHOUT ROWID""",
)


def _create_v1(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V1:
        conn.execute(statement)


# v2: raw readings in one rowid table in time order, keyed ts_ms * 65536 + the appliance's
# slot (raw.SLOTS); appliances get their slots in id order. ts_ms and slot are virtual
# columns (computed when read, never stored) for people reading the file with sqlite3.
_SCHEMA_V2 = (
    "ALTER TABLE appliances RENAME TO appliances_v1",
    """CREATE TABLE appliances (
        appliance_id INTEGER PRIMARY KEY,
        slot INTEGER NOT NULL UNIQUE
    )""",
    """INSERT INTO appliances (appliance_id, slot)
       SELECT appliance_id, row_number() OVER (ORDER BY appliance_id) - 1 FROM appliances_v1""",
    "DROP TABLE appliances_v1",
    "ALTER TABLE readings RENAME TO readings_v1",
    """CREATE TABLE readings (
        key INTEGER PRIMARY KEY,
        watts REAL NOT NULL,
        volts REAL NOT NULL,
        amps REAL NOT NULL,
        energy_wh REAL NOT NULL,
        covered_s REAL NOT NULL,
        samples INTEGER NOT NULL,
        ts_ms INTEGER AS (key >> 16) VIRTUAL,
        slot INTEGER AS (key & 65535) VIRTUAL
    )""",
    """INSERT INTO readings (key, watts, volts, amps, energy_wh, covered_s, samples)
       SELECT r.ts_ms * 65536 + a.slot, r.watts, r.volts, r.amps, r.energy_wh, r.covered_s,
       r.samples FROM readings_v1 AS r JOIN appliances AS a USING (appliance_id) ORDER BY 1""",
    "DROP TABLE readings_v1",
)


def _readings_in_time_order(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V2:
        conn.execute(statement)


# v3: readings may lack volts and amps (history imported from the seed's CSV log has watts
# only): the raw table is rebuilt with nullable columns, and rollups count the readings that
# measured them, so means of volts and amps skip the others. Imports before v3 stored 0 V and
# 0 A: a row with watts but neither volts nor amps cannot be a measurement (P = V × I), so it
# becomes NULL; a row of 0 W, 0 V, 0 A may be a real one and stays. A bucket is judged the
# same way by its sums; one that mixes imported and measured readings cannot be told apart,
# and keeps counting all of them, as before. Appliances get the names the configuration gives
# them (for the data of appliances removed from it), and imports record the energy they add
# (live counters leave it out).
_COUNT_MEASURED = """UPDATE {table} SET measured_count =
    CASE WHEN sum_volts = 0 AND sum_amps = 0 AND sum_watts != 0 THEN 0 ELSE count END"""
_SCHEMA_V3 = (
    "ALTER TABLE readings RENAME TO readings_v2",
    """CREATE TABLE readings (
        key INTEGER PRIMARY KEY,
        watts REAL NOT NULL,
        volts REAL,
        amps REAL,
        energy_wh REAL NOT NULL,
        covered_s REAL NOT NULL,
        samples INTEGER NOT NULL,
        ts_ms INTEGER AS (key >> 16) VIRTUAL,
        slot INTEGER AS (key & 65535) VIRTUAL
    )""",
    """INSERT INTO readings (key, watts, volts, amps, energy_wh, covered_s, samples)
       SELECT key, watts,
       CASE WHEN volts = 0 AND amps = 0 AND watts != 0 THEN NULL ELSE volts END,
       CASE WHEN volts = 0 AND amps = 0 AND watts != 0 THEN NULL ELSE amps END,
       energy_wh, covered_s, samples FROM readings_v2 ORDER BY key""",
    "DROP TABLE readings_v2",
    *(
        statement
        for table in ROLLUP_TABLES
        for statement in (
            f"ALTER TABLE {table} ADD COLUMN measured_count INTEGER NOT NULL DEFAULT 0",
            _COUNT_MEASURED.format(table=table),
        )
    ),
    "ALTER TABLE appliances ADD COLUMN name TEXT",
    """CREATE TABLE imported_energy (
        appliance_id INTEGER PRIMARY KEY,
        energy_in_wh REAL NOT NULL
    )""",
)


def _nullable_volts_names_and_imports(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V3:
        conn.execute(statement)


# v4: energy in and out kept apart (current is signed: a battery charges and discharges). Raw
# readings get `energy_out_wh`, NULL in rows stored before (Reading.out_wh then takes it from
# the sign of their net energy: exact unless the current reversed within that second); adding
# a nullable column rewrites nothing. Rollups already summed each reading's positive energy
# (energy_in_wh) beside the net (energy_wh), so what flowed out of every stored bucket is
# their difference: every past day, hour and minute gets it exactly, whatever was pruned.
# Imports record what flowed out too; imports made before v4 count none (the seed's INA219
# power register has no sign, so its logs hold no reverse energy).
_SCHEMA_V4 = (
    "ALTER TABLE readings ADD COLUMN energy_out_wh REAL",
    *(
        statement
        for table in ROLLUP_TABLES
        for statement in (
            f"ALTER TABLE {table} ADD COLUMN energy_out_wh REAL NOT NULL DEFAULT 0",
            f"UPDATE {table} SET energy_out_wh = max(energy_in_wh - energy_wh, 0.0) "  # noqa: S608
            "WHERE energy_in_wh != energy_wh",
        )
    ),
    "ALTER TABLE imported_energy ADD COLUMN energy_out_wh REAL NOT NULL DEFAULT 0",
)


def _energy_in_and_out(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V4:
        conn.execute(statement)


Migration = Callable[[sqlite3.Connection], None]

# MIGRATIONS[n] takes a database from user_version n to n + 1. Append, never edit.
MIGRATIONS: tuple[Migration, ...] = (
    _create_v1,
    _readings_in_time_order,
    _nullable_volts_names_and_imports,
    _energy_in_and_out,
)
