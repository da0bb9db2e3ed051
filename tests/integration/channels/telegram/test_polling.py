"""Long polling against the fake Bot API: updates arrive in order, each confirmed only after
it was handled, errors back off, and the loop ends as soon as ``stop`` is set."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from starlette.types import ASGIApp
from structlog.testing import capture_logs

from dancebot.adapters.channels.telegram.botapi import BotApi
from dancebot.adapters.channels.telegram.polling import run_polling
from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.ports.channels import ChannelRejected
from dancebot.testing.fake_telegram import FakeTelegram, callback_update, text_update

from .conftest import eventually, make_api

CHAT = 351_234_567
Handler = Callable[[dict[str, Any]], Awaitable[None]]


def collector(stop: asyncio.Event, *, until: int) -> tuple[list[dict[str, Any]], Handler]:
    """A handler keeping what it got; it sets ``stop`` once it has ``until`` updates."""
    received: list[dict[str, Any]] = []

    async def on_update(update: dict[str, Any]) -> None:
        received.append(update)
        if len(received) >= until:
            stop.set()

    return received, on_update


async def poll(api: BotApi | TelegramSender, on_update: Handler, stop: asyncio.Event) -> int:
    return await asyncio.wait_for(
        run_polling(api, on_update=on_update, stop=stop, timeout=1, first_backoff=0.01),
        timeout=10,
    )


async def test_pushed_updates_arrive_in_order_as_sent(api: BotApi, fake: FakeTelegram) -> None:
    pushed = [
        fake.push_update(text_update(CHAT, "Здравствуйте")),
        fake.push_update(text_update(CHAT, "Хочу на пробное")),
        fake.push_update(callback_update(CHAT, "slot:881")),
    ]
    stop = asyncio.Event()
    received, on_update = collector(stop, until=3)
    handed = await poll(api, on_update, stop)
    assert handed == 3
    assert received == pushed  # raw JSON exactly as Telegram sent it
    assert received[0]["message"]["from"]["first_name"] == "Анна"  # alias kept, not "from_user"
    assert fake.pending_updates == []  # confirmed on the way out: a restart won't see them
    last = fake.calls_to("getUpdates")[-1]
    assert last.params["offset"] == pushed[-1]["update_id"] + 1


async def test_updates_pushed_while_polling_arrive_and_offsets_confirm(
    api: BotApi, fake: FakeTelegram
) -> None:
    stop = asyncio.Event()
    received, on_update = collector(stop, until=3)
    task = asyncio.create_task(poll(api, on_update, stop))
    first = fake.push_update(text_update(CHAT, "раз"))
    await eventually(lambda: received)
    later = [fake.push_update(text_update(CHAT, "два")), fake.push_update(text_update(CHAT, "три"))]
    assert await task == 3
    assert [u["update_id"] for u in received] == [first["update_id"]] + [
        u["update_id"] for u in later
    ]
    offsets = [call.params.get("offset") for call in fake.calls_to("getUpdates")]
    assert offsets[0] is None  # the first call takes whatever is pending
    assert first["update_id"] + 1 in offsets  # then confirms what it handled
    # confirmed updates are gone from Telegram's queue
    assert all(u["update_id"] > first["update_id"] for u in fake.pending_updates)


async def test_the_webhook_is_deleted_first(api: BotApi, fake: FakeTelegram) -> None:
    fake.webhook = {"url": "https://bot.example.ru/webhook/telegram", "secret_token": "s"}
    pushed = fake.push_update(text_update(CHAT, "привет"))
    stop = asyncio.Event()
    received, on_update = collector(stop, until=1)
    await poll(api, on_update, stop)
    assert received == [pushed]
    assert fake.calls[0].method == "deleteWebhook"
    assert fake.webhook is None
    assert fake.calls_to("getUpdates")[0].params["allowed_updates"] == [
        "message",
        "edited_message",
        "callback_query",
    ]


async def test_stop_ends_a_long_poll_at_once(fake: FakeTelegram, fake_app: ASGIApp) -> None:
    fake.max_poll_wait = 20  # the fake holds getUpdates as long as Telegram would
    api = make_api(fake_app, None, token=fake.token)
    stop = asyncio.Event()
    _, on_update = collector(stop, until=1)
    task = asyncio.create_task(
        run_polling(api, on_update=on_update, stop=stop, timeout=25, first_backoff=0.01)
    )
    await eventually(lambda: fake.calls_to("getUpdates"))
    stop.set()
    handed = await asyncio.wait_for(task, timeout=1)
    await api.close()
    assert handed == 0


async def test_a_stop_set_before_start_polls_nothing(api: BotApi, fake: FakeTelegram) -> None:
    fake.push_update(text_update(CHAT, "привет"))
    stop = asyncio.Event()
    stop.set()
    _, on_update = collector(stop, until=1)
    assert await poll(api, on_update, stop) == 0
    assert fake.calls == []


async def test_errors_back_off_doubling_up_to_the_cap(api: BotApi, fake: FakeTelegram) -> None:
    fake.fail_next("500", times=4, method="getUpdates")
    pushed = fake.push_update(text_update(CHAT, "всё ещё тут?"))
    stop = asyncio.Event()
    received, on_update = collector(stop, until=1)
    with capture_logs() as logs:
        await asyncio.wait_for(
            run_polling(
                api,
                on_update=on_update,
                stop=stop,
                timeout=1,
                first_backoff=0.01,
                max_backoff=0.03,
            ),
            timeout=10,
        )
    assert received == [pushed]
    waits = [e["retry_in"] for e in logs if e["event"] == "telegram_polling_failed"]
    assert waits == [0.01, 0.02, 0.03, 0.03]
    assert len(fake.calls_to("getUpdates")) == 4 + 1 + 1  # failures, success, confirmation


async def test_429_waits_its_retry_after(api: BotApi, fake: FakeTelegram) -> None:
    fake.fail_next("429", retry_after=1, method="getUpdates")
    fake.push_update(text_update(CHAT, "привет"))
    stop = asyncio.Event()
    received, on_update = collector(stop, until=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with capture_logs() as logs:
        await poll(api, on_update, stop)
    assert loop.time() - started >= 0.95
    assert len(received) == 1
    assert [e["retry_after"] for e in logs if e["event"] == "telegram_polling_rate_limited"] == [1]


async def test_stop_during_a_batch_leaves_the_rest_for_next_time(
    api: BotApi, fake: FakeTelegram
) -> None:
    pushed = [fake.push_update(text_update(CHAT, str(n))) for n in range(3)]
    stop = asyncio.Event()
    received, on_update = collector(stop, until=1)
    assert await poll(api, on_update, stop) == 1
    assert received == pushed[:1]
    assert fake.pending_updates == pushed[1:]


async def test_a_failed_handler_gets_the_update_again(api: BotApi, fake: FakeTelegram) -> None:
    first = fake.push_update(text_update(CHAT, "раз"))
    second = fake.push_update(text_update(CHAT, "два"))
    third = fake.push_update(text_update(CHAT, "три"))
    seen: list[int] = []
    stop = asyncio.Event()

    async def on_update(update: dict[str, Any]) -> None:
        seen.append(update["update_id"])
        if update == second and seen.count(second["update_id"]) == 1:
            raise RuntimeError("the inbound stream was unavailable")
        if update["update_id"] == third["update_id"]:
            stop.set()

    await poll(api, on_update, stop)
    ids = [u["update_id"] for u in (first, second, third)]
    assert seen == [ids[0], ids[1], ids[1], ids[2]]


async def test_polling_accepts_a_sender(api: BotApi, fake: FakeTelegram) -> None:
    pushed = fake.push_update(text_update(CHAT, "привет"))
    stop = asyncio.Event()
    received, on_update = collector(stop, until=1)
    await poll(TelegramSender(api), on_update, stop)
    assert received == [pushed]


async def test_a_refused_token_stops_polling(fake: FakeTelegram, fake_app: ASGIApp) -> None:
    api = make_api(fake_app, None, token="42:revoked-token")
    stop = asyncio.Event()
    _, on_update = collector(stop, until=1)
    try:
        with pytest.raises(ChannelRejected, match="401"):
            await poll(api, on_update, stop)
    finally:
        await api.close()
    assert len(fake.calls) == 1
