"""Registering the Telegram webhook with the Bot API (``dancebot telegram set-webhook`` /
``delete-webhook`` / ``webhook-info``), through ``TELEGRAM_API_BASE`` like every other call.

The webhook is ``https://{DOMAIN}/webhook/telegram`` with ``secret_token`` =
``TELEGRAM_WEBHOOK_SECRET`` (the app rejects webhooks without it) and the update types the
app reads. Errors come back as ``WebhookError`` with the bot token cut out of the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.exceptions import AiogramError

from dancebot.adapters.channels.telegram.inbound import ALLOWED_UPDATES
from dancebot.adapters.channels.telegram.sender import TelegramSender, redact_token
from dancebot.entrypoints.settings import Settings

WEBHOOK_PATH = "/webhook/telegram"


class WebhookError(RuntimeError):
    """The Bot API refused or could not be reached; the message is safe to print."""


@dataclass(frozen=True)
class WebhookInfo:
    url: str
    pending_updates: int


def webhook_url(domain: str) -> str:
    """``https://{domain}/webhook/telegram``; a full URL given instead is kept as it is."""
    domain = domain.strip().rstrip("/")
    if domain.startswith(("https://", "http://")):
        return domain if domain.endswith(WEBHOOK_PATH) else domain + WEBHOOK_PATH
    return f"https://{domain}{WEBHOOK_PATH}"


def _sender(settings: Settings) -> TelegramSender:
    if settings.telegram_bot_token is None:
        raise WebhookError("TELEGRAM_BOT_TOKEN is not set")
    return TelegramSender.connect(
        settings.telegram_bot_token.get_secret_value(), api_base=settings.telegram_api_base
    )


async def set_webhook(settings: Settings, url: str, *, drop_pending: bool = False) -> WebhookInfo:
    """Point Telegram at ``url``; returns what Telegram reports afterwards. Raises
    ``WebhookError`` without ``TELEGRAM_WEBHOOK_SECRET`` (the app would reject every update)
    or when the Bot API refuses (e.g. not HTTPS, a wrong token)."""
    if settings.telegram_webhook_secret is None:
        raise WebhookError("TELEGRAM_WEBHOOK_SECRET is not set: the app would reject every update")
    sender = _sender(settings)
    try:
        await sender.bot.set_webhook(
            url=url,
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=drop_pending,
        )
        return await _info(sender)
    except (AiogramError, OSError, TimeoutError) as exc:
        raise WebhookError(redact_token(str(exc), sender.bot.token)) from None
    finally:
        await sender.close()


async def delete_webhook(settings: Settings, *, drop_pending: bool = False) -> WebhookInfo:
    """Remove the webhook (for long polling, or before moving the bot elsewhere)."""
    sender = _sender(settings)
    try:
        await sender.bot.delete_webhook(drop_pending_updates=drop_pending)
        return await _info(sender)
    except (AiogramError, OSError, TimeoutError) as exc:
        raise WebhookError(redact_token(str(exc), sender.bot.token)) from None
    finally:
        await sender.close()


async def webhook_info(settings: Settings) -> WebhookInfo:
    """What Telegram has registered now."""
    sender = _sender(settings)
    try:
        return await _info(sender)
    except (AiogramError, OSError, TimeoutError) as exc:
        raise WebhookError(redact_token(str(exc), sender.bot.token)) from None
    finally:
        await sender.close()


async def _info(sender: TelegramSender) -> WebhookInfo:
    info = await sender.bot.get_webhook_info()
    return WebhookInfo(url=info.url, pending_updates=info.pending_update_count)
