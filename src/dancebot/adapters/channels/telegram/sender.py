"""Sending to Telegram (Bot API sendMessage, answerCallbackQuery, sendChatAction,
createForumTopic, pinChatMessage) through ``BotApi``, whose errors are already the
``ChannelError`` kinds the outbound worker acts on, with the token cut out. The sender never
retries by itself (ports/channels.py).
"""

from __future__ import annotations

import structlog

from dancebot.adapters.channels.telegram.botapi import (
    DEFAULT_API_BASE,
    DEFAULT_REQUEST_TIMEOUT,
    BotApi,
    result_field,
)
from dancebot.adapters.channels.telegram.keyboard import inline_keyboard
from dancebot.domain.messages import Channel, OutboundMessage
from dancebot.ports.channels import ChannelError, Delivery

log = structlog.get_logger(__name__)

TYPING = "typing"
MAX_TOPIC_NAME = 128


class TelegramSender:
    """``ChannelSender`` for Telegram. Build it with ``TelegramSender.connect(token, ...)``,
    or hand it a ``BotApi`` that reaches where you like (tests: the fake Bot API in process,
    ``dancebot.testing.fake_telegram.in_process_api``)."""

    channel: Channel = Channel.TELEGRAM

    def __init__(self, api: BotApi) -> None:
        self.api = api

    @classmethod
    def connect(
        cls,
        token: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> TelegramSender:
        """A sender talking to the Bot API server at ``api_base`` (``TELEGRAM_API_BASE``).
        Raises ``InvalidBotToken`` when ``token`` is not shaped like a token."""
        return cls(BotApi(token, api_base=api_base, timeout=request_timeout))

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
        params = {
            "chat_id": chat_id_param(message.chat_id),
            "text": message.text,
            "reply_markup": markup,
            "message_thread_id": message.thread_id,
        }
        try:
            sent = await self.api.call("sendMessage", params)
            message_id: int = result_field("sendMessage", sent, "message_id", int)
        except ChannelError as error:
            log.warning(
                "telegram_send_failed",
                error_type=type(error).__name__,
                reason=str(error),
                trace_id=message.trace_id,
            )
            raise
        if message.pin:
            await self.pin(message.chat_id, message_id)
        return Delivery(channel_message_id=str(message_id))

    async def pin(self, chat_id: str, message_id: int) -> bool:
        """Pin a message without notifying everyone. Best effort: False when refused (the
        bot is no admin with "pin messages") or unreachable; the message itself was sent."""
        params = {
            "chat_id": chat_id_param(chat_id),
            "message_id": message_id,
            "disable_notification": True,
        }
        try:
            return await self.api.call("pinChatMessage", params) is True
        except ChannelError as error:
            log.info("telegram_pin_failed", reason=str(error))
            return False

    async def create_topic(self, chat_id: str, name: str) -> int:
        """createForumTopic in the admin supergroup; returns its ``message_thread_id``.
        Raises ``ChannelRejected`` (not a forum, no right to manage topics) or
        ``ChannelUnavailable`` / ``ChannelRateLimited``."""
        params = {"chat_id": chat_id_param(chat_id), "name": name[:MAX_TOPIC_NAME]}
        topic = await self.api.call("createForumTopic", params)
        thread_id: int = result_field("createForumTopic", topic, "message_thread_id", int)
        return thread_id

    async def typing(self, chat_id: str) -> None:
        """Show "печатает…" for about 5 s. Best effort: never raises."""
        params = {"chat_id": chat_id_param(chat_id), "action": TYPING}
        try:
            await self.api.call("sendChatAction", params)
        except ChannelError as error:
            log.debug("telegram_typing_failed", reason=str(error))

    async def answer_callback(self, callback_query_id: str) -> bool:
        """Acknowledge a button press (stops its spinner). Best effort: False when Telegram
        refused or could not be reached — a query older than ~15 s can no longer be answered."""
        params = {"callback_query_id": callback_query_id}
        try:
            return await self.api.call("answerCallbackQuery", params) is True
        except ChannelError as error:
            log.info("telegram_callback_answer_failed", reason=str(error))
            return False

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self.api.close()


def chat_id_param(chat_id: str) -> int | str:
    """Numeric ids as ints; ``@channelusername`` stays a string."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id
