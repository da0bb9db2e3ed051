"""A thin Telegram Bot API client over httpx: ``POST {api_base}/bot{token}/{method}`` with a
JSON body, the answer's envelope read as https://core.telegram.org/bots/api#making-requests
describes it (``ok``, ``result``, ``error_code``, ``description``, ``parameters``).

Every failure is one of the ``ChannelError`` kinds the outbound worker acts on (the same
mapping as before D65):

- ``parameters.retry_after`` → ``ChannelRateLimited`` (with ``retry_after``);
- ``parameters.migrate_to_chat_id``, 400, 403, 404, 409, 413 → ``ChannelRejected``; 401 →
  ``TokenRefused`` (a ``ChannelRejected``: no retry fixes a wrong or revoked token);
- 5xx, any other answer, an answer that is not the envelope, a timeout, no connection →
  ``ChannelUnavailable``.

The token is part of every URL, so it can surface in a network error's text: every error
raised here has it cut out, and none has a cause or context to print (they are raised outside
the ``except`` block that caught the original).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from dancebot.ports.channels import (
    ChannelError,
    ChannelRateLimited,
    ChannelRejected,
    ChannelUnavailable,
)

DEFAULT_API_BASE = "https://api.telegram.org"
DEFAULT_REQUEST_TIMEOUT = 10.0
USER_AGENT = "dancebot (httpx)"

# Answers that no retry will change (bad request, forbidden, not found, conflict, too
# large); 401 is ``TokenRefused``.
_REJECTED_STATUSES = frozenset({400, 403, 404, 409, 413})
_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+/")


class TokenRefused(ChannelRejected):
    """401: Telegram does not know the token (wrong, or revoked in @BotFather)."""


class InvalidBotToken(ValueError):
    """The token is not shaped like one (``123456:ABC…``); the message never holds it."""


class _Parameters(BaseModel):
    model_config = ConfigDict(extra="ignore")

    retry_after: int | None = None
    migrate_to_chat_id: int | None = None


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ok: bool
    result: Any = None
    description: str | None = None
    error_code: int | None = None
    parameters: _Parameters | None = None


def check_token(token: str) -> str:
    """``token`` when it looks like a bot token (digits, a colon, a secret without spaces);
    else raises ``InvalidBotToken``. It goes into URL paths, so a slash is refused too."""
    bot_id, colon, secret = token.partition(":")
    if not colon or not bot_id.isdigit() or not secret:
        raise InvalidBotToken("the bot token must look like 123456:ABC-DEF (from @BotFather)")
    if any(char.isspace() or char == "/" for char in token):
        raise InvalidBotToken("the bot token must not contain spaces or slashes")
    return token


def redact_token(text: str, token: str) -> str:
    """``text`` with the bot token, and anything in a Bot API URL's token place, cut out."""
    return _TOKEN_IN_URL.sub("/bot***/", text.replace(token, "***"))


def result_field(method: str, result: Any, key: str, kind: type[int] | type[str]) -> Any:
    """``result[key]`` when it is of ``kind``; else ``ChannelUnavailable`` (an answer we
    cannot read: a retry may get a proper one)."""
    value = result.get(key) if isinstance(result, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ChannelUnavailable(f"{method}: the answer has no {key}")
    return value


def _describe(exc: BaseException) -> str:
    """``Type: text`` of the error, or of the first one inside an exception group."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


class BotApi:
    """One bot's Bot API connection: a pooled ``httpx.AsyncClient`` to ``api_base``
    (``TELEGRAM_API_BASE``; the fake Telegram in tests). ``transport`` replaces the network
    (``httpx.ASGITransport`` into the fake's app). Close it with ``close``.

    Raises ``InvalidBotToken`` when ``token`` is not shaped like a token.
    """

    def __init__(
        self,
        token: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = DEFAULT_REQUEST_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token = check_token(token)
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT},
        )

    def __repr__(self) -> str:
        return f"BotApi(api_base={self.api_base!r})"

    async def call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the whole call's deadline
    ) -> Any:
        """Call ``method`` with ``params`` (``None`` values left out); returns ``result``.
        ``timeout`` bounds the whole call (default: the client's). Raises ``ChannelError``
        kinds as the module docstring lists them."""
        body = {name: value for name, value in (params or {}).items() if value is not None}
        url = f"{self.api_base}/bot{self.token}/{method}"
        limit = self.timeout if timeout is None else timeout
        failure: ChannelError | None = None
        try:
            async with asyncio.timeout(limit):
                response = await self._http.post(url, json=body, timeout=httpx.Timeout(limit))
        except (TimeoutError, httpx.TimeoutException):
            failure = ChannelUnavailable(f"{method}: request timeout after {limit:g} s")
        except Exception as exc:  # httpx's errors, an OSError, anyio's exception group…
            # …whatever the HTTP stack raises, the call did not get through
            failure = ChannelUnavailable(self.redact(f"{method} via {url}: {_describe(exc)}"))
        if failure is not None:
            raise failure  # outside the except block: no context holding the URL
        return self._result(method, response.status_code, response.content)

    def redact(self, text: str) -> str:
        """``text`` safe to log or raise: the token and Bot API URL paths cut out."""
        return redact_token(text, self.token)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def _result(self, method: str, status: int, content: bytes) -> Any:
        try:
            envelope = _Envelope.model_validate(json.loads(content))
        except (ValueError, ValidationError, RecursionError):  # a proxy's page, a cut answer
            envelope = None
        if envelope is None:
            raise ChannelUnavailable(f"{method}: not a Bot API answer (HTTP {status})")
        if 200 <= status <= 226 and envelope.ok:
            return envelope.result
        raise self._error(method, status, envelope)

    def _error(self, method: str, status: int, envelope: _Envelope) -> ChannelError:
        description = self.redact(envelope.description or "no description")
        reason = f"{method}: {description} (HTTP {status})"
        parameters = envelope.parameters or _Parameters()
        if parameters.retry_after:
            return ChannelRateLimited(reason, retry_after=float(parameters.retry_after))
        if parameters.migrate_to_chat_id:
            moved = f"{reason}; the group is now {parameters.migrate_to_chat_id}"
            return ChannelRejected(moved)
        if status == 401:
            return TokenRefused(reason)
        if status in _REJECTED_STATUSES:
            return ChannelRejected(reason)
        # 5xx, or an answer with no meaning for us: a retry or two costs less than a lost
        # message; the worker dead-letters it after its last retry.
        return ChannelUnavailable(reason)
