"""structlog configuration: readable lines in a terminal, JSON lines in production.

Everything goes through structlog's processors: our own loggers, and the standard
library's (uvicorn's, the supervisor's, the libraries'), rendered by a
``ProcessorFormatter`` on the root logger. So with ``MIMS_LOG_JSON=true`` every line is
one JSON object, and every line logged while a request is served carries its
``correlation_id`` (bound by ``mims.access``). uvicorn is started with ``log_config=None``
so that it installs no handlers of its own.

A traceback never shows local variables: they may hold a request's body or a token.
"""

from __future__ import annotations

import logging
import sys

import structlog

LIBRARY_LEVELS = {"uvicorn.access": logging.WARNING}  # mims.access writes the access log


def configure_logging(level: str = "info", *, json: bool = False) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(
            exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False)
        )
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    finish: list[structlog.types.Processor] = [
        structlog.processors.StackInfoRenderer(),
        # JSON: the traceback as one string field (without locals); console: rich, below.
        *([structlog.processors.format_exc_info] if json else []),
    ]
    structlog.configure(
        processors=[*shared, *finish, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                *shared,
                structlog.stdlib.add_logger_name,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *finish,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        library = logging.getLogger(name)
        library.handlers[:] = []
        library.propagate = True
    for name, floor in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(max(floor, numeric))
