"""What each `energymon` subcommand does; cli.py parses arguments and reports errors."""

from energymon.commands.data import backup, export, forget, import_csv
from energymon.commands.drivers import drivers, scan
from energymon.commands.sensors import check_config, read, serve

__all__ = [
    "backup",
    "check_config",
    "drivers",
    "export",
    "forget",
    "import_csv",
    "read",
    "scan",
    "serve",
]
