"""Logging set-up: one structlog chain for our events and for every standard-library logger
(uvicorn, SQLAlchemy, httpx, arq …) through ``structlog.stdlib.ProcessorFormatter``;
JSON in production, readable in a terminal.

Privacy (contract §18): secret-named keys are dropped and phones masked field by field, then
— after exceptions and tracebacks have been rendered into the line — the finished line is
masked once more (phones, bot tokens, Authorization values, secret query parameters). So an
exception whose text holds a phone number or a Bot API URL prints neither.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.typing import Processor

from dancebot.domain.privacy import mask_phones_in_value, mask_sensitive_text

_SECRET_KEYS = re.compile(r"(authorization|api_key|apikey|token|secret|password|cookie)", re.I)
# Libraries that say too much at INFO (one line per HTTP request, with its URL).
# httpx's request line also holds the Bot API URL, token included (masked, but not needed).
_QUIET_AT_INFO = ("httpx", "httpcore", "asyncio")
# Libraries whose own handlers would bypass the chain: theirs are removed, records propagate.
_LIBRARY_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "sqlalchemy",
    "arq",
    "alembic",
)


def _scrub(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if _SECRET_KEYS.search(key):
            event[key] = "***"
        elif isinstance(event[key], str | dict | list | tuple):
            event[key] = mask_phones_in_value(event[key], key=key)
    return event


def _mask_rendered(_: Any, __: str, line: Any) -> Any:
    """The last step: the rendered line, exception text and traceback included."""
    if isinstance(line, bytes):
        return mask_sensitive_text(line.decode("utf-8", "replace")).encode()
    return mask_sensitive_text(line)


class _ChainHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so a second configuration replaces it."""


def configure_logging(*, fmt: str = "auto", level: str = "INFO", stream: Any = None) -> None:
    """Idempotent. ``fmt``: json | console | auto (console when the stream is a terminal)."""
    out = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    numeric = logging.getLevelName(level.upper())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    rendering: list[Processor]
    if use_json:
        # tracebacks become the "exception" string before anything is masked
        rendering = [
            structlog.processors.format_exc_info,
            _scrub,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ]
    else:
        rendering = [
            _scrub,
            structlog.dev.ConsoleRenderer(
                # plain: no local variables (they may hold secrets), no line wrapping
                # (a wrapped phone or token would slip past the masking)
                colors=out.isatty(),
                exception_formatter=structlog.dev.plain_traceback,
            ),
        ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *rendering,
            _mask_rendered,
        ],
    )
    handler = _ChainHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _ChainHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    for name in _QUIET_AT_INFO:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )


def reset_logging() -> None:
    """Undo ``configure_logging``'s standard-library part (tests): our handler removed, the
    root logger back at WARNING. structlog's own configuration is the caller's to restore."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _ChainHandler)]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
