"""Registering the Telegram webhook with the Bot API (``dancebot telegram set-webhook`` /
``delete-webhook`` / ``webhook-info``), through ``TELEGRAM_API_BASE`` like every other call.

The webhook is ``https://{DOMAIN}/webhook/telegram`` with ``secret_token`` =
``TELEGRAM_WEBHOOK_SECRET`` (the app rejects webhooks without it) and the update types the
app reads. Errors come back as ``WebhookError`` with the bot token cut out of the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from dancebot.adapters.channels.telegram.botapi import BotApi, InvalidBotToken, result_field
from dancebot.adapters.channels.telegram.inbound import ALLOWED_UPDATES
from dancebot.entrypoints.settings import Settings
from dancebot.ports.channels import ChannelError

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


def _api(settings: Settings) -> BotApi:
    if settings.telegram_bot_token is None:
        raise WebhookError("TELEGRAM_BOT_TOKEN is not set")
    try:
        return BotApi(
            settings.telegram_bot_token.get_secret_value(), api_base=settings.telegram_api_base
        )
    except InvalidBotToken as exc:
        raise WebhookError(f"TELEGRAM_BOT_TOKEN: {exc}") from None


async def set_webhook(settings: Settings, url: str, *, drop_pending: bool = False) -> WebhookInfo:
    """Point Telegram at ``url``; returns what Telegram reports afterwards. Raises
    ``WebhookError`` without ``TELEGRAM_WEBHOOK_SECRET`` (the app would reject every update)
    or when the Bot API refuses (e.g. not HTTPS, a wrong token)."""
    if settings.telegram_webhook_secret is None:
        raise WebhookError("TELEGRAM_WEBHOOK_SECRET is not set: the app would reject every update")
    params = {
        "url": url,
        "secret_token": settings.telegram_webhook_secret.get_secret_value(),
        "allowed_updates": list(ALLOWED_UPDATES),
        "drop_pending_updates": drop_pending,
    }
    api = _api(settings)
    try:
        await api.call("setWebhook", params)
        return await _info(api)
    except ChannelError as exc:  # its text has the token cut out already
        raise WebhookError(str(exc)) from None
    finally:
        await api.close()


async def delete_webhook(settings: Settings, *, drop_pending: bool = False) -> WebhookInfo:
    """Remove the webhook (for long polling, or before moving the bot elsewhere)."""
    api = _api(settings)
    try:
        await api.call("deleteWebhook", {"drop_pending_updates": drop_pending})
        return await _info(api)
    except ChannelError as exc:
        raise WebhookError(str(exc)) from None
    finally:
        await api.close()


async def webhook_info(settings: Settings) -> WebhookInfo:
    """What Telegram has registered now."""
    api = _api(settings)
    try:
        return await _info(api)
    except ChannelError as exc:
        raise WebhookError(str(exc)) from None
    finally:
        await api.close()


async def _info(api: BotApi) -> WebhookInfo:
    info = await api.call("getWebhookInfo")
    return WebhookInfo(
        url=result_field("getWebhookInfo", info, "url", str),
        pending_updates=result_field("getWebhookInfo", info, "pending_update_count", int),
    )
