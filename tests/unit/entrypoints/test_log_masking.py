"""Every rendered log line — ours and the standard library's (uvicorn, SQLAlchemy, httpx,
arq) — goes through one chain whose last step masks phones and secrets, after exceptions
and tracebacks have been rendered into the line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from dancebot.entrypoints.logging import configure_logging, reset_logging

PHONE = "+7 999 123-45-67"
TOKEN = "123456789:AAHsecretTokenValue_0123456789abc"
URL = f"https://api.telegram.org/bot{TOKEN}/sendMessage"


@pytest.fixture(params=["json", "console"])
def output(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    saved = structlog.get_config()
    stream = io.StringIO()
    configure_logging(fmt=request.param, level="INFO", stream=stream)
    yield stream
    reset_logging()
    structlog.configure(**saved)


def _fail() -> None:
    raise RuntimeError(f"sending to {PHONE} failed: {URL} answered 502")


def _assert_clean(rendered: str) -> None:
    for secret in (TOKEN, "AAHsecretTokenValue", "123-45-67", "9991234567"):
        assert secret not in rendered, rendered


def test_log_exception_with_a_phone_and_a_bot_token_url_prints_neither(
    output: io.StringIO,
) -> None:
    log = structlog.get_logger("dancebot.test")
    try:
        _fail()
    except RuntimeError:
        log.exception("send_failed", chat_id="79991234567", detail=URL)
    rendered = output.getvalue()
    assert "send_failed" in rendered and "RuntimeError" in rendered  # the traceback is there
    assert "+7999****567" in rendered and "/bot***/sendMessage" in rendered
    _assert_clean(rendered)


@pytest.mark.parametrize("library", ["uvicorn.error", "sqlalchemy.engine", "httpx", "arq.jobs"])
def test_standard_library_loggers_go_through_the_same_chain(
    output: io.StringIO, library: str
) -> None:
    logger = logging.getLogger(library)
    try:
        _fail()
    except RuntimeError:
        logger.exception("job %s failed for %s", "send", PHONE)
    logger.info("calling %s", URL)
    rendered = output.getvalue()
    assert library in rendered  # the logger's name is kept
    assert "job send failed for +7999****567" in rendered and "RuntimeError" in rendered
    _assert_clean(rendered)


def test_json_lines_stay_json_and_secret_keys_are_dropped() -> None:
    saved = structlog.get_config()
    stream = io.StringIO()
    configure_logging(fmt="json", level="INFO", stream=stream)
    try:
        structlog.get_logger("x").info("hello", api_key="k-123", phone="+79991234567")
        logging.getLogger("uvicorn.error").warning("Started server process [%d]", 42)
    finally:
        reset_logging()
        structlog.configure(**saved)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["api_key"] == "***" and lines[0]["phone"] == "+7999****567"
    assert lines[1]["event"] == "Started server process [42]"
    assert lines[1]["logger"] == "uvicorn.error" and lines[1]["level"] == "warning"


def test_below_the_level_nothing_is_rendered() -> None:
    saved = structlog.get_config()
    stream = io.StringIO()
    configure_logging(fmt="json", level="WARNING", stream=stream)
    try:
        structlog.get_logger("x").info("quiet")
        logging.getLogger("alembic").info("quiet too")
        structlog.get_logger("x").warning("loud")
    finally:
        reset_logging()
        structlog.configure(**saved)
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["loud"]
