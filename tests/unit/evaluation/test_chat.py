from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dancebot.adapters.clock import VirtualClock
from dancebot.domain.messages import Button, Channel, MessageType, OutboundMessage
from dancebot.evaluation.chat import ScenarioChat, StepProblem

START = datetime.fromisoformat("2026-03-02T10:00:00+10:00")


@pytest.fixture
def chat() -> ScenarioChat:
    return ScenarioChat(
        clock=VirtualClock(START),
        channel=Channel.WHATSAPP,
        chat_id="79991234567",
        sender_name="Мария",
        sender_phone="+79991234567",
    )


def _offer(chat: ScenarioChat, *buttons: Button) -> None:
    chat.saw(OutboundMessage(channel=Channel.WHATSAPP, chat_id="1", text="?", buttons=buttons))


def test_each_message_gets_a_new_id_and_the_channels_sender_details(chat: ScenarioChat) -> None:
    first, second = chat.text("Привет"), chat.text("Ещё")
    assert first.message_id != second.message_id
    assert first.sender_phone == "+79991234567" and first.sender_name == "Мария"
    assert first.message_type == MessageType.TEXT and first.timestamp == START


def test_press_sends_the_buttons_value_from_the_last_message_with_buttons(
    chat: ScenarioChat,
) -> None:
    _offer(chat, Button(title="Ср 04.03 19:00", payload="lesson:100:2026-03-04"))
    chat.saw(OutboundMessage(channel=Channel.WHATSAPP, chat_id="1", text="без кнопок"))
    pressed = chat.press("ср 04.03 19:00")
    assert pressed.message_type == MessageType.BUTTON
    assert pressed.text == "lesson:100:2026-03-04"
    _offer(chat, Button(title="Да"), Button(title="Нет"))
    assert chat.press("ДА").text == "Да"
    with pytest.raises(StepProblem, match=r"no button 'Ср 04.03 19:00'.*'Да', 'Нет'"):
        chat.press("Ср 04.03 19:00")


def test_press_before_any_buttons_is_a_step_problem(chat: ScenarioChat) -> None:
    with pytest.raises(StepProblem, match="offered no buttons"):
        chat.press("Да")


def test_an_edit_keeps_the_id_and_is_never_taken_for_a_duplicate(chat: ScenarioChat) -> None:
    original = chat.text("в среду в 19")
    chat.text("Мария")
    first = chat.edit(1, "в четверг в 19")
    second = chat.edit(1, "в пятницу в 19")
    assert first.message_id == second.message_id == original.message_id
    assert first.is_edit and first.text == "в четверг в 19"
    assert first.timestamp >= original.timestamp + timedelta(seconds=1)
    assert len({original.dedup_key, first.dedup_key, second.dedup_key}) == 3
    with pytest.raises(StepProblem, match="only 2 sent"):
        chat.edit(3, "x")


def test_duplicate_redelivers_the_previous_message_unchanged(chat: ScenarioChat) -> None:
    with pytest.raises(StepProblem, match="nothing to re-deliver"):
        chat.duplicate()
    voice = chat.non_text(MessageType.VOICE)
    assert chat.duplicate() is voice and voice.text is None
