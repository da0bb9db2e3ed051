"""A fake Telegram Bot API for tests and benchmarks.

``FakeTelegram`` (state: calls, sent messages, pending updates, programmed failures) and
``create_fake_telegram_app(state)`` (the Starlette app serving ``/bot{token}/{method}``).
Use it in process — ``in_process_api(app, token=state.token)`` gives a ``BotApi`` over
``httpx.ASGITransport`` (``TelegramSender(api)`` sends through it) — or on a real port with
``dancebot.testing.serve.serve_app(app)`` and ``TelegramSender.connect(state.token,
api_base=url)``. ``updates`` builds realistic incoming
updates to push (getUpdates) or POST (webhooks). Wire formats: see ``app``'s docstring.
"""

from __future__ import annotations

from dancebot.testing.fake_telegram.app import create_fake_telegram_app
from dancebot.testing.fake_telegram.state import (
    BOT_USER,
    DEFAULT_TOKEN,
    FailureKind,
    FakeTelegram,
    RecordedCall,
    SentMessage,
)
from dancebot.testing.fake_telegram.transport import IN_PROCESS_BASE, in_process_api
from dancebot.testing.fake_telegram.updates import (
    callback_update,
    channel_post_update,
    contact_update,
    document_update,
    edited_update,
    location_update,
    media_update,
    my_chat_member_update,
    photo_update,
    service_update,
    sticker_update,
    text_update,
    topic_update,
    video_update,
    voice_update,
    webhook_headers,
)

__all__ = [
    "BOT_USER",
    "DEFAULT_TOKEN",
    "IN_PROCESS_BASE",
    "FailureKind",
    "FakeTelegram",
    "RecordedCall",
    "SentMessage",
    "callback_update",
    "channel_post_update",
    "contact_update",
    "create_fake_telegram_app",
    "document_update",
    "edited_update",
    "in_process_api",
    "location_update",
    "media_update",
    "my_chat_member_update",
    "photo_update",
    "service_update",
    "sticker_update",
    "text_update",
    "topic_update",
    "video_update",
    "voice_update",
    "webhook_headers",
]
