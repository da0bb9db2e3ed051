"""The Telegram channel: webhook input (``inbound``), sending (``sender``), long polling
(``polling``), over a thin Bot API client on httpx (``botapi``; D65)."""

from __future__ import annotations

from dancebot.adapters.channels.telegram.botapi import BotApi, InvalidBotToken, TokenRefused
from dancebot.adapters.channels.telegram.inbound import (
    ALLOWED_UPDATES,
    SECRET_HEADER,
    MalformedUpdate,
    TelegramEvent,
    is_admin_chat,
    parse_update,
    verify_secret,
)
from dancebot.adapters.channels.telegram.keyboard import CallbackDataTooLong, inline_keyboard
from dancebot.adapters.channels.telegram.polling import run_polling
from dancebot.adapters.channels.telegram.sender import TelegramSender

__all__ = [
    "ALLOWED_UPDATES",
    "SECRET_HEADER",
    "BotApi",
    "CallbackDataTooLong",
    "InvalidBotToken",
    "MalformedUpdate",
    "TelegramEvent",
    "TelegramSender",
    "TokenRefused",
    "inline_keyboard",
    "is_admin_chat",
    "parse_update",
    "run_polling",
    "verify_secret",
]
