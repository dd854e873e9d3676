"""The `energymon` command: read, scan, drivers, check-config, serve, import, export, backup,
forget."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from energymon import __version__
from energymon.errors import ConfigError, EnergymonError

__all__ = ["main"]

EXIT_ERROR = 1
EXIT_USAGE = 2  # argparse's own code for bad usage; bad configuration is bad usage too
EXIT_INTERRUPTED = 130

Command = Callable[[argparse.Namespace], int]


def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=None,
        help="settings file (default: $ENERGYMON_CONFIG, ./config/energymon.toml, "
        "/etc/energymon/energymon.toml)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value


def _bus_number(text: str) -> int:
    value = _positive_int(text) if text != "0" else 0
    if value > 255:
        raise argparse.ArgumentTypeError(f"{value} is not an I²C bus number")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="energymon",
        description="Raspberry Pi energy monitor for INA2xx current/voltage sensors.",
    )
    parser.add_argument("--version", action="version", version=f"energymon {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    read = commands.add_parser("read", help="read every appliance's sensor once (or --watch)")
    _config_argument(read)
    read.add_argument("--watch", "-w", action="store_true", help="keep reading until Ctrl-C")
    read.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    read.add_argument("--count", type=_positive_int, default=None, help="stop after N rounds")

    scan = commands.add_parser(
        "scan", help="probe 0x40-0x4F on an I²C bus: which chip answers, and a config snippet"
    )
    scan.add_argument("--bus", type=_bus_number, default=1, help="bus number (default 1)")

    commands.add_parser("drivers", help="list the sensor drivers (built-in and plugins), options")

    check = commands.add_parser("check-config", help="validate and print the settings")
    _config_argument(check)

    serve = commands.add_parser("serve", help="run the service: sampling, storage and HTTP API")
    _config_argument(serve)
    serve.add_argument("--host", default=None, help="listen address (default: server.host)")
    serve.add_argument("--port", type=_positive_int, default=None, help="default: server.port")

    imp = commands.add_parser("import", help="import CSV logs in the original system's format")
    _config_argument(imp)
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE.csv")

    export = commands.add_parser("export", help="write readings of the last days to stdout")
    _config_argument(export)
    export.add_argument("--days", type=_positive_int, required=True)
    export.add_argument("--appliance", type=_positive_int, default=None, metavar="ID")
    export.add_argument("--format", choices=("csv", "json"), default="csv")

    backup = commands.add_parser("backup", help="consistent copy of the database and config")
    _config_argument(backup)
    backup.add_argument("dest", type=Path, metavar="DEST", help="directory to write into")

    forget = commands.add_parser(
        "forget", help="delete the stored data of an appliance removed from the configuration"
    )
    _config_argument(forget)
    forget.add_argument("appliance", type=_positive_int, metavar="ID")
    forget.add_argument("--yes", action="store_true", help="delete (without: say what would go)")
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    from energymon import commands

    handlers: dict[str, Command] = {
        "read": commands.read,
        "scan": commands.scan,
        "drivers": commands.drivers,
        "check-config": commands.check_config,
        "serve": commands.serve,
        "import": commands.import_csv,
        "export": commands.export,
        "backup": commands.backup,
        "forget": commands.forget,
    }
    return handlers[args.command](args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code. Errors are one line, never a traceback."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"energymon: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except EnergymonError as exc:
        print(f"energymon: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `energymon export ... | head`: the reader left; not an error worth a message.
        sys.stderr.close()
        return 0
