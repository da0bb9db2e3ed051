"""Forum-topic mode (``ADMIN_TOPICS=true``) over HTTP against the fake Bot API: one topic
per client with the card pinned under [Беру] / [Решено]; the client's messages during the
handoff land in the topic, the admin's plain messages in the topic reach the client;
[Решено] gives the client back to the bot; the topics survive an app restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.e2e.channels.conftest import ADMIN_CHAT, SECRET, Stack, open_stack

from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel
from dancebot.entrypoints.app import create_app
from dancebot.testing.fake_telegram.updates import (
    callback_update,
    text_update,
    topic_update,
    webhook_headers,
)
from dancebot.testing.serve import serve_app

CLIENT = 1001
ADMIN = int(ADMIN_CHAT)


@pytest.fixture
async def stack(postgres_database: str, key_prefix: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with open_stack(postgres_database, key_prefix, tmp_path, admin_topics=True) as opened:
        opened.telegram.enable_forum(ADMIN_CHAT)
        yield opened


async def _post(stack: Stack, update: dict[str, object], *, url: str | None = None) -> str:
    answer = await stack.http.post(
        f"{url or stack.url}/webhook/telegram", json=update, headers=webhook_headers(SECRET)
    )
    assert answer.status_code == 200, answer.text
    await stack.settle()
    return str(answer.json()["result"])


async def _client_says(stack: Stack, text: str, *, url: str | None = None) -> None:
    await _post(stack, text_update(CLIENT, text, date=stack.clock.now()), url=url)


def _client_texts(stack: Stack) -> list[str]:
    return [m.text for m in stack.telegram.sent_messages(CLIENT)]


def _the_topic(stack: Stack) -> int:
    topics = stack.telegram.topics[ADMIN_CHAT]
    assert len(topics) == 1, topics
    return next(iter(topics))


async def _state(stack: Stack) -> State:
    session = await stack.app.state.runtime.services.deps.sessions.load(
        Channel.TELEGRAM, str(CLIENT)
    )
    return session.state


async def test_topic_relay_both_ways_and_resolve(stack: Stack) -> None:
    await _client_says(stack, "у меня к вам претензия: занятие начали позже")
    assert "Передаю администратору" in _client_texts(stack)[-1]

    thread = _the_topic(stack)
    assert str(CLIENT) in stack.telegram.topics[ADMIN_CHAT][thread]  # the topic names the chat
    card = stack.telegram.topic_messages(ADMIN, thread)[0]
    assert "претензия" in card.text and "/reply" not in card.text
    assert card.titles == ("Беру", "Решено")
    assert (ADMIN_CHAT, card.message_id) in stack.telegram.pinned

    # the client goes on writing: it lands in the topic, the bot stays silent
    replies_before = len(_client_texts(stack))
    await _client_says(stack, "и зал был холодный")
    assert len(_client_texts(stack)) == replies_before
    assert "и зал был холодный" in stack.telegram.topic_messages(ADMIN, thread)[-1].text

    # the admin presses [Беру], then simply writes in the topic
    take = callback_update(ADMIN, card.payloads[0], thread_id=thread, first_name="Татьяна")
    assert await _post(stack, take) == "accepted"
    assert take["callback_query"]["id"] in stack.telegram.answered_callbacks()
    assert "Татьяна взял(а)" in stack.telegram.topic_messages(ADMIN, thread)[-1].text
    answer = topic_update(
        ADMIN, thread, "Извините! Вернём вам одно занятие.", date=stack.clock.now()
    )
    await _post(stack, answer)
    assert _client_texts(stack)[-1] == "Администратор: Извините! Вернём вам одно занятие."
    assert await _state(stack) is State.ADMIN_RESPONDING

    # [Решено]: the client is the bot's again
    done = callback_update(ADMIN, card.payloads[1], thread_id=thread)
    await _post(stack, done)
    assert "Администратор завершил диалог" in _client_texts(stack)[-1]
    assert await _state(stack) is State.IDLE
    await _client_says(stack, "сколько стоит контемп")
    assert "900 ₽" in _client_texts(stack)[-1]


async def test_admin_chatter_outside_topics_is_not_relayed(stack: Stack) -> None:
    await _client_says(stack, "у меня к вам претензия: занятие начали позже")
    replies = len(_client_texts(stack))
    await _post(stack, text_update(ADMIN, "кто возьмёт?", date=stack.clock.now()))
    assert len(_client_texts(stack)) == replies  # General topic chatter is no reply


async def test_topics_survive_an_app_restart_and_are_reused(stack: Stack) -> None:
    await _client_says(stack, "у меня к вам претензия: занятие начали позже")
    thread = _the_topic(stack)
    assert stack.stop_app is not None
    await stack.stop_app()  # the first app goes away

    second = create_app(stack.settings, clock=stack.clock, keys=stack.keys)
    async with second.router.lifespan_context(second), serve_app(second) as url:
        stack.app = second
        await _post(
            stack,
            topic_update(ADMIN, thread, "Здравствуйте, я на связи", date=stack.clock.now()),
            url=url,
        )
        assert _client_texts(stack)[-1] == "Администратор: Здравствуйте, я на связи"
        await _post(stack, topic_update(ADMIN, thread, "/close", date=stack.clock.now()), url=url)
        assert await _state(stack) is State.IDLE
        await _client_says(stack, "опять претензия: зал закрыт", url=url)
        assert _the_topic(stack) == thread  # the client's second case: the same topic
        assert len(stack.telegram.calls_to("createForumTopic")) == 1
        assert "зал закрыт" in stack.telegram.topic_messages(ADMIN, thread)[-1].text


async def test_without_a_forum_the_card_falls_back_to_the_plain_admin_chat(
    postgres_database: str, key_prefix: str, tmp_path: Path
) -> None:
    async with open_stack(postgres_database, key_prefix, tmp_path, admin_topics=True) as plain:
        await _client_says(plain, "у меня к вам претензия: занятие начали позже")
        assert plain.telegram.calls_to("createForumTopic")  # it tried
        card = plain.telegram.sent_messages(ADMIN)[-1]
        assert card.thread_id is None and "/reply 1001" in card.text
        await _post(plain, text_update(ADMIN, "/reply 1001 Слушаю", date=plain.clock.now()))
        assert _client_texts(plain)[-1] == "Администратор: Слушаю"
