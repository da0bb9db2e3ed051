"""structlog set-up: JSON in production, readable in a terminal; secrets dropped and phone
numbers masked in every event, whatever the caller passed (contract §18)."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from dancebot.domain.privacy import mask_phones_in_value

_SECRET_KEYS = re.compile(r"(authorization|api_key|apikey|token|secret|password|cookie)", re.I)


def _scrub(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if _SECRET_KEYS.search(key):
            event[key] = "***"
        elif isinstance(event[key], str | dict | list | tuple):
            event[key] = mask_phones_in_value(event[key], key=key)
    return event


def configure_logging(*, fmt: str = "auto", level: str = "INFO", stream: Any = None) -> None:
    """Idempotent. ``fmt``: json | console | auto (console when the stream is a terminal)."""
    out = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else (structlog.dev.ConsoleRenderer(colors=out.isatty()))
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _scrub,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
