"""Sending to Telegram through aiogram's ``Bot`` (Bot API sendMessage, answerCallbackQuery,
sendChatAction), with aiogram's errors turned into the ``ChannelError`` kinds the outbound
worker acts on. The sender never retries by itself (ports/channels.py).

The bot token is part of every Bot API URL, so it can surface in a network error's text;
every error raised here has the token cut out and no chained cause (tracebacks would print
the original, URL and all).
"""

from __future__ import annotations

import asyncio
import re

import aiohttp
import structlog
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatAction
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from dancebot.adapters.channels.telegram.keyboard import inline_keyboard
from dancebot.domain.messages import Channel, OutboundMessage
from dancebot.ports.channels import (
    ChannelError,
    ChannelRateLimited,
    ChannelRejected,
    ChannelUnavailable,
    Delivery,
)

DEFAULT_API_BASE = "https://api.telegram.org"
DEFAULT_REQUEST_TIMEOUT = 10.0

log = structlog.get_logger(__name__)

_REJECTED = (
    TelegramForbiddenError,  # blocked by the user, kicked from the group
    TelegramBadRequest,  # chat not found, text empty or too long, bad markup
    TelegramNotFound,
    TelegramUnauthorizedError,  # a wrong or revoked token: no retry will fix it
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramMigrateToChat,  # the group became a supergroup with another id
)
_UNAVAILABLE = (
    TelegramServerError,
    TelegramNetworkError,
    ClientDecodeError,  # not JSON: a proxy's error page, a cut connection
    aiohttp.ClientError,
    asyncio.TimeoutError,
    OSError,
)
_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+/")


class TelegramSender:
    """``ChannelSender`` for Telegram. Build it with ``TelegramSender.connect(token, ...)``, or
    hand it a ``Bot`` whose session points where you like (tests: the fake Bot API)."""

    channel: Channel = Channel.TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @classmethod
    def connect(
        cls,
        token: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> TelegramSender:
        """A sender talking to the Bot API server at ``api_base`` (``TELEGRAM_API_BASE``).
        Raises aiogram's ``TokenValidationError`` when ``token`` is not shaped like a token."""
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base), timeout=request_timeout)
        return cls(Bot(token, session=session))

    async def send(self, message: OutboundMessage) -> Delivery:
        """sendMessage with the text and, when there are buttons, an inline keyboard; a button
        press being answered is acknowledged first (best effort). Telegram has no templates:
        ``message.text`` (always the filled-in template text) is sent.

        Raises ``ChannelRateLimited`` (429, with ``retry_after``), ``ChannelUnavailable``
        (5xx, timeout, no connection) or ``ChannelRejected`` (blocked, bad chat, any other 4xx,
        a button payload over 64 bytes).
        """
        markup = inline_keyboard(message.buttons)
        if message.reply_to_callback:
            await self.answer_callback(message.reply_to_callback)
        try:
            sent = await self.bot.send_message(
                chat_id=_chat_id(message.chat_id),
                text=message.text,
                reply_markup=markup,
                message_thread_id=message.thread_id,
            )
        except (AiogramError, *_UNAVAILABLE) as exc:
            error = self._channel_error(exc)
            log.warning(
                "telegram_send_failed",
                error_type=type(error).__name__,
                reason=str(error),
                trace_id=message.trace_id,
            )
            raise error from None
        if message.pin:
            await self.pin(message.chat_id, sent.message_id)
        return Delivery(channel_message_id=str(sent.message_id))

    async def pin(self, chat_id: str, message_id: int) -> bool:
        """Pin a message without notifying everyone. Best effort: False when refused (the
        bot is no admin with "pin messages") or unreachable; the message itself was sent."""
        try:
            return await self.bot.pin_chat_message(
                chat_id=_chat_id(chat_id), message_id=message_id, disable_notification=True
            )
        except (AiogramError, *_UNAVAILABLE) as exc:
            log.info("telegram_pin_failed", reason=self._redact(str(exc)))
            return False

    async def create_topic(self, chat_id: str, name: str) -> int:
        """createForumTopic in the admin supergroup; returns its ``message_thread_id``.
        Raises ``ChannelRejected`` (not a forum, no right to manage topics) or
        ``ChannelUnavailable`` / ``ChannelRateLimited``."""
        try:
            topic = await self.bot.create_forum_topic(chat_id=_chat_id(chat_id), name=name[:128])
        except (AiogramError, *_UNAVAILABLE) as exc:
            raise self._channel_error(exc) from None
        return topic.message_thread_id

    async def typing(self, chat_id: str) -> None:
        """Show "печатает…" for about 5 s. Best effort: never raises."""
        try:
            await self.bot.send_chat_action(chat_id=_chat_id(chat_id), action=ChatAction.TYPING)
        except (AiogramError, *_UNAVAILABLE) as exc:
            log.debug("telegram_typing_failed", reason=self._redact(str(exc)))

    async def answer_callback(self, callback_query_id: str) -> bool:
        """Acknowledge a button press (stops its spinner). Best effort: False when Telegram
        refused or could not be reached — a query older than ~15 s can no longer be answered."""
        try:
            return await self.bot.answer_callback_query(callback_query_id=callback_query_id)
        except (AiogramError, *_UNAVAILABLE) as exc:
            log.info("telegram_callback_answer_failed", reason=self._redact(str(exc)))
            return False

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.bot.session.close()

    def _channel_error(self, exc: BaseException) -> ChannelError:
        reason = self._redact(str(exc) or type(exc).__name__)
        if isinstance(exc, TelegramRetryAfter):
            return ChannelRateLimited(reason, retry_after=float(exc.retry_after))
        if isinstance(exc, _REJECTED):
            return ChannelRejected(reason)
        if isinstance(exc, _UNAVAILABLE):
            return ChannelUnavailable(reason)
        # Any other API answer (an unexpected status): one or two retries cost less than a
        # lost message; the worker dead-letters it after its last retry.
        if isinstance(exc, TelegramAPIError):
            return ChannelUnavailable(reason)
        return ChannelRejected(reason)

    def _redact(self, text: str) -> str:
        return redact_token(text, self.bot.token)


def redact_token(text: str, token: str) -> str:
    """``text`` with the bot token, and anything in a Bot API URL's token place, cut out."""
    return _TOKEN_IN_URL.sub("/bot***/", text.replace(token, "***"))


def _chat_id(chat_id: str) -> int | str:
    """Numeric ids as ints; ``@channelusername`` stays a string."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id
