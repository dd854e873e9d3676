"""The seed's CSV log backend: writing `logs/energy_monitor.log`, reading it back, importing.

files: the format, file names, the rotation lock, the log read back for downloads. writer:
CsvLog, which writes and rotates the log beside the store. reader: the log parsed into rows and
readings (`energymon import`). history: imported readings merged into the rotated past days.
"""

from energymon.storage.seedlog.files import (
    HEADER,
    LOG_FILENAME,
    format_row,
    history_lock,
    iter_log,
    logs_dir,
)
from energymon.storage.seedlog.history import HistoryMerge, merge_into_history
from energymon.storage.seedlog.reader import (
    CsvProblem,
    CsvRow,
    ParsedCsv,
    instants_ms,
    parse_csv,
    readings_from_csv_rows,
)
from energymon.storage.seedlog.writer import CsvLog

__all__ = [
    "HEADER",
    "LOG_FILENAME",
    "CsvLog",
    "CsvProblem",
    "CsvRow",
    "HistoryMerge",
    "ParsedCsv",
    "format_row",
    "history_lock",
    "instants_ms",
    "iter_log",
    "logs_dir",
    "merge_into_history",
    "parse_csv",
    "readings_from_csv_rows",
]
