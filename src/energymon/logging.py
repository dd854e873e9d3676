"""structlog for the service's own logs: JSON lines for journald, readable text on a terminal.

Everything, our structlog loggers and stdlib loggers (uvicorn, asyncio) alike, ends in one
handler on stderr, so the output is uniform. uvicorn's access log is silenced: the API writes
its own in the seed's format (energymon.api.accesslog).
"""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.typing import Processor

__all__ = ["configure_logging"]

_HANDLER_NAME = "energymon-stderr"
# uvicorn's loggers come with handlers of their own when it configures logging; we pass
# log_config=None and let them propagate to ours instead.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")


def configure_logging(level: str | int = "info", *, json: bool | None = None) -> None:
    """Route structlog and stdlib logging to stderr; JSON unless stderr is a terminal.

    Safe to call again (tests, reconfiguration): the previous handler is replaced.
    """
    if json is None:
        json = not sys.stderr.isatty()
    numeric_level = level if isinstance(level, int) else logging.getLevelName(level.upper())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        # journald and log shippers want UTC instants; a person at a terminal wants local time.
        structlog.processors.TimeStamper(fmt="iso" if json else "%Y-%m-%d %H:%M:%S", utc=json),
    ]
    renderer: Processor
    if json:
        renderer = structlog.processors.JSONRenderer()
        final: list[Processor] = [structlog.processors.format_exc_info, renderer]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        final = [renderer]

    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Module-level loggers exist before configuration; caching would pin the old setup.
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    for name in _UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
