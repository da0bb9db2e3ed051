"""What a client or a platform sends never gets a 5xx (issue 8 item 5), over HTTP: lone
surrogates in any text field are replaced and the message is answered; absurd structure (deep
nesting, numbers of thousands of digits) gets a 400; a message dated in the future is dropped
like a replay; while Redis is down the webhook answers 503 with one log event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs
from tests.e2e.channels.conftest import SECRET, WA_APP_SECRET, Stack, open_stack
from tests.redis_server import own_redis

from dancebot.testing.fake_telegram.updates import (
    callback_update,
    media_update,
    text_update,
    webhook_headers,
)
from dancebot.testing.fake_whatsapp.webhooks import (
    inbound_button_reply,
    inbound_template_button,
    inbound_text,
    sign,
)

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

LONE = "\ud800"


def _ascii_json(value: Any) -> bytes:
    """JSON as the platforms send it: non-ASCII escaped, so a lone surrogate is ``\\ud800``."""
    return json.dumps(value, ensure_ascii=True).encode("ascii")


async def _post_telegram_raw(stack: Stack, body: bytes) -> int:
    answer = await stack.http.post(
        f"{stack.url}/webhook/telegram", content=body, headers=webhook_headers(SECRET)
    )
    return answer.status_code


async def _post_whatsapp_raw(stack: Stack, body: bytes) -> int:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, WA_APP_SECRET)}
    answer = await stack.http.post(f"{stack.url}/webhook/whatsapp", content=body, headers=headers)
    return answer.status_code


def _telegram_with_surrogates(stack: Stack, chat: int, field: str) -> dict[str, Any]:
    now = stack.clock.now()
    if field == "callback_data":
        return callback_update(chat, f"ок{LONE}")
    if field == "caption":
        return media_update("photo", chat, caption=f"фото{LONE}", date=now)
    update = text_update(chat, "сколько стоит контемп", date=now)
    message = update["message"]
    if field == "text":
        message["text"] = f"сколько стоит контемп{LONE}"
    elif field == "first_name":
        message["from"]["first_name"] = message["chat"]["first_name"] = LONE
    elif field in ("last_name", "username"):
        message["from"][field] = message["chat"][field] = f"x{LONE}"
    return update


TELEGRAM_FIELDS = ["text", "first_name", "last_name", "username", "caption", "callback_data"]


async def test_surrogates_in_every_telegram_text_field_are_answered(stack: Stack) -> None:
    chats = {field: 3_000_001 + n for n, field in enumerate(TELEGRAM_FIELDS)}
    for field, chat in chats.items():
        status = await _post_telegram_raw(
            stack, _ascii_json(_telegram_with_surrogates(stack, chat, field))
        )
        assert status == 200, field
    await stack.settle()
    for field, chat in chats.items():
        assert len(stack.telegram.sent_messages(chat)) >= 1, field


def _whatsapp_with_surrogates(stack: Stack, wa_id: str, field: str) -> dict[str, Any]:
    now = stack.clock.now()
    if field == "text":
        return inbound_text(wa_id=wa_id, text=f"сколько стоит контемп{LONE}", at=now)
    if field == "profile_name":
        return inbound_text(wa_id=wa_id, text="сколько стоит контемп", at=now, name=LONE)
    if field == "button_reply":
        return inbound_button_reply(wa_id=wa_id, payload=f"p{LONE}", title=f"t{LONE}", at=now)
    return inbound_template_button(wa_id=wa_id, payload=f"p{LONE}", text=f"t{LONE}", at=now)


WHATSAPP_FIELDS = ["text", "profile_name", "button_reply", "template_button"]


async def test_surrogates_in_every_whatsapp_text_field_are_answered(stack: Stack) -> None:
    senders = {field: f"7999000000{n}" for n, field in enumerate(WHATSAPP_FIELDS)}
    for field, wa_id in senders.items():
        status = await _post_whatsapp_raw(
            stack, _ascii_json(_whatsapp_with_surrogates(stack, wa_id, field))
        )
        assert status == 200, field
    await stack.settle()
    for field, wa_id in senders.items():
        assert any(m.to == wa_id for m in stack.whatsapp.sent), field


def _nested(levels: int) -> bytes:
    return b'{"update_id": 1, "x": ' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize("levels", [100, 1_000, 100_000])
async def test_deep_nesting_gets_400(stack: Stack, levels: int) -> None:
    assert await _post_telegram_raw(stack, _nested(levels)) == 400
    body = (
        b'{"object": "whatsapp_business_account", "entry": ' + b"[" * levels + b"]" * levels + b"}"
    )
    assert await _post_whatsapp_raw(stack, body) == 400


async def test_numbers_of_thousands_of_digits_get_400(stack: Stack) -> None:
    huge = "9" * 10_000
    payload = inbound_text(wa_id="79990000010", text="привет", at=stack.clock.now())
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["timestamp"] = huge
    assert await _post_whatsapp_raw(stack, _ascii_json(payload)) == 400
    as_number = _ascii_json(payload).replace(f'"{huge}"'.encode(), huge.encode())
    assert await _post_whatsapp_raw(stack, as_number) == 400
    update = text_update(3_100_001, "привет", date=stack.clock.now())
    body = _ascii_json(update).replace(str(update["update_id"]).encode(), huge.encode(), 1)
    assert await _post_telegram_raw(stack, body) == 400
    update["message"]["date"] = int(huge[:300])
    assert await _post_telegram_raw(stack, _ascii_json(update)) == 400


async def test_a_message_from_the_future_is_dropped_like_a_replay(stack: Stack) -> None:
    year_2100 = 4_102_444_800
    update = text_update(3_200_001, "привет", date=year_2100)
    answer = await stack.post_telegram(update)
    assert answer.status_code == 200 and answer.json()["result"] == "future"
    payload = inbound_text(wa_id="79990000020", text="привет", at=stack.clock.now())
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(year_2100)
    answer = await stack.post_whatsapp(payload)
    assert answer.status_code == 200 and answer.json()["result"] == ["future"]
    await stack.settle()
    assert stack.telegram.sent_messages(3_200_001) == []
    assert not any(m.to == "79990000020" for m in stack.whatsapp.sent)


async def test_redis_down_gets_503_and_one_log_event(
    postgres_database: str, key_prefix: str, tmp_path: Path
) -> None:
    async with (
        own_redis(tmp_path / "redis") as server,
        open_stack(postgres_database, key_prefix, tmp_path, redis_url=server.url) as stack,
    ):
        await server.stop()
        update = text_update(3_300_001, "привет", date=stack.clock.now())
        payload = inbound_text(wa_id="79990000030", text="привет", at=stack.clock.now())
        with capture_logs() as logs:
            telegram = await stack.post_telegram(update)
            whatsapp = await stack.post_whatsapp(payload)
        assert (telegram.status_code, whatsapp.status_code) == (503, 503)
        webhook_events = [e for e in logs if e["event"].startswith("webhook")]
        assert [(e["event"], e["channel"]) for e in webhook_events] == [
            ("webhook_store_unavailable", "telegram"),
            ("webhook_store_unavailable", "whatsapp"),
        ]
        await server.start()  # the stack's shutdown talks to Redis
