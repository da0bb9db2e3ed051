"""The admin chat over HTTP: the admin's commands pass the same replay window and dedup as a
client's message — an edited ``/reply`` and a redelivered update reach the client once — and
ordinary chatter among the admins gets no help text."""

from __future__ import annotations

from tests.e2e.channels.conftest import ADMIN_CHAT, Stack

from dancebot.testing.fake_telegram.updates import edited_update, text_update

CLIENT = 1001
ADMIN = int(ADMIN_CHAT)


async def _client_says(stack: Stack, text: str, message_id: int) -> None:
    update = text_update(CLIENT, text, message_id=message_id, date=stack.clock.now())
    assert (await stack.post_telegram(update)).status_code == 200
    await stack.settle()


async def _admin_posts(stack: Stack, update: dict[str, object]) -> str:
    answer = await stack.post_telegram(update)
    assert answer.status_code == 200, answer.text
    await stack.settle()
    return str(answer.json()["result"])


def _from_admin(stack: Stack) -> list[str]:
    return [m.text for m in stack.telegram.sent_messages(CLIENT) if m.text.startswith("Админ")]


async def _handoff(stack: Stack) -> None:
    await _client_says(stack, "у меня к вам претензия: занятие начали позже", 1)
    assert "Передаю администратору" in stack.telegram.sent_messages(CLIENT)[-1].text
    assert any("/reply 1001" in m.text for m in stack.telegram.sent_messages(ADMIN))


async def test_an_edited_reply_is_not_sent_to_the_client_again(stack: Stack) -> None:
    await _handoff(stack)
    sent = stack.clock.now()
    reply = text_update(ADMIN, "/reply 1001 Здравствуйте!", message_id=77, date=sent)
    assert await _admin_posts(stack, reply) == "accepted"
    assert _from_admin(stack) == ["Администратор: Здравствуйте!"]

    edit = edited_update(ADMIN, "/reply 1001 Здравствуйте, Анастасия!", message_id=77, date=sent)
    assert await _admin_posts(stack, edit) == "accepted"  # taken in, then not carried out
    assert _from_admin(stack) == ["Администратор: Здравствуйте!"]
    assert "Исправленное сообщение" in stack.telegram.sent_messages(ADMIN)[-1].text


async def test_a_redelivered_admin_update_is_carried_out_once(stack: Stack) -> None:
    await _handoff(stack)
    reply = text_update(ADMIN, "/reply 1001 Сейчас посмотрю", message_id=78, date=stack.clock.now())
    assert await _admin_posts(stack, reply) == "accepted"
    assert await _admin_posts(stack, reply) == "duplicate"  # Telegram retried the webhook
    assert _from_admin(stack) == ["Администратор: Сейчас посмотрю"]


async def test_an_old_admin_command_is_dropped_as_a_replay(stack: Stack) -> None:
    await _handoff(stack)
    old = stack.clock.now().timestamp() - 600
    reply = text_update(ADMIN, "/reply 1001 Это старое", message_id=79, date=int(old))
    assert await _admin_posts(stack, reply) == "replay"
    assert _from_admin(stack) == []


async def test_chatter_among_admins_gets_no_help_text(stack: Stack) -> None:
    before = len(stack.telegram.sent_messages(ADMIN))
    chatter = text_update(ADMIN, "коллеги, кто сегодня на ресепшене?", date=stack.clock.now())
    assert await _admin_posts(stack, chatter) == "accepted"
    assert len(stack.telegram.sent_messages(ADMIN)) == before  # the bot kept quiet
    unknown = text_update(ADMIN, "/помощь", date=stack.clock.now())
    await _admin_posts(stack, unknown)
    assert "Команды: /reply" in stack.telegram.sent_messages(ADMIN)[-1].text
