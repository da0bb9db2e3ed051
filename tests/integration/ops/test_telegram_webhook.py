"""`dancebot telegram set-webhook` / `delete-webhook` / `webhook-info` against the fake Bot
API on a real port, through TELEGRAM_API_BASE like the app's own calls."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from dancebot.entrypoints.settings import Settings
from dancebot.ops.telegram_webhook import (
    WebhookError,
    delete_webhook,
    set_webhook,
    webhook_info,
    webhook_url,
)
from dancebot.testing.fake_telegram import FakeTelegram, create_fake_telegram_app
from dancebot.testing.serve import serve_app

SECRET = "webhook-secret-for-tests"


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[FakeTelegram, Settings]]:
    fake = FakeTelegram()
    async with serve_app(create_fake_telegram_app(fake)) as url:
        yield (
            fake,
            Settings(
                _env_file=None,
                telegram_bot_token=fake.token,
                telegram_webhook_secret=SECRET,
                telegram_api_base=url,
            ),
        )


def test_webhook_url_from_the_domain() -> None:
    assert webhook_url("bot.example.ru") == "https://bot.example.ru/webhook/telegram"
    assert webhook_url("https://bot.example.ru/") == "https://bot.example.ru/webhook/telegram"


async def test_set_webhook_registers_url_secret_and_update_types(
    telegram: tuple[FakeTelegram, Settings],
) -> None:
    fake, settings = telegram
    info = await set_webhook(settings, "https://bot.example.ru/webhook/telegram")
    assert info.url == "https://bot.example.ru/webhook/telegram"
    assert fake.webhook is not None
    assert fake.webhook["secret_token"] == SECRET
    assert set(fake.webhook["allowed_updates"]) == {"message", "edited_message", "callback_query"}
    assert (await webhook_info(settings)).url == info.url


async def test_delete_webhook_removes_it(telegram: tuple[FakeTelegram, Settings]) -> None:
    fake, settings = telegram
    await set_webhook(settings, "https://bot.example.ru/webhook/telegram")
    info = await delete_webhook(settings)
    assert info.url == "" and fake.webhook is None


async def test_refusals_are_reported_without_the_token(
    telegram: tuple[FakeTelegram, Settings],
) -> None:
    fake, settings = telegram
    with pytest.raises(WebhookError) as refused:
        await set_webhook(settings, "http://not-https.example.ru/webhook/telegram")
    assert "HTTPS URL must be provided" in str(refused.value)
    wrong = settings.model_copy(
        update={"telegram_bot_token": SecretStr("987654:WrongTokenForTheFake")}
    )
    with pytest.raises(WebhookError) as unauthorized:
        await webhook_info(wrong)
    assert "987654:WrongTokenForTheFake" not in str(unauthorized.value)
    assert fake.webhook is None


async def test_set_webhook_needs_the_secret(telegram: tuple[FakeTelegram, Settings]) -> None:
    fake, settings = telegram
    without = settings.model_copy(update={"telegram_webhook_secret": None})
    with pytest.raises(WebhookError, match="TELEGRAM_WEBHOOK_SECRET"):
        await set_webhook(without, "https://bot.example.ru/webhook/telegram")
    assert not fake.calls  # nothing was sent to Telegram
