from __future__ import annotations

from dancebot.domain.messages import Button, Channel, OutboundMessage
from dancebot.evaluation.checks import Observed, evaluate
from dancebot.evaluation.model import Expect, ExpectOutbound


def _msg(text: str, *buttons: str) -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.TELEGRAM,
        chat_id="1",
        text=text,
        buttons=tuple(Button(title=b) for b in buttons),
    )


SUMMARY = Observed(
    messages=[
        _msg("Записываю: Мария, 19:00. Всё верно?", "Да", "Нет"),
        _msg("Или выберите другое время", "Ср 04.03 19:00"),
    ],
    admin_messages=[],
    state="confirm_booking",
)


def _failed(expect: Expect, seen: Observed = SUMMARY) -> list[str]:
    return [f.check for f in evaluate(expect, seen)]


def test_text_checks_ignore_case_and_see_every_reply_of_the_step() -> None:
    assert _failed(Expect(reply_contains=["мария", "ДРУГОЕ ВРЕМЯ"])) == []
    assert _failed(Expect(reply_contains=["Мария", "20:30"])) == ["reply_contains"]
    assert _failed(Expect(reply_contains_any=["20:30", "19:00"])) == []
    assert _failed(Expect(reply_contains_any=["20:30", "21:00"])) == ["reply_contains_any"]
    assert _failed(Expect(reply_not_contains=["ошибка"])) == []
    assert _failed(Expect(reply_not_contains=["ошибка", "верно"])) == ["reply_not_contains"]


def test_a_failure_names_what_was_missing_and_carries_the_reply() -> None:
    [failure] = evaluate(Expect(reply_contains=["Мария", "20:30"]), SUMMARY)
    assert "20:30" in failure.expected and "missing" in failure.expected
    assert "Записываю: Мария" in failure.actual and "другое время" in failure.actual


def test_reply_matches_is_a_case_insensitive_search_across_lines() -> None:
    assert _failed(Expect(reply_matches=r"мария.*ДРУГОЕ")) == []
    assert _failed(Expect(reply_matches=r"^\d+ ₽$")) == ["reply_matches"]


def test_buttons_are_those_of_the_last_message_that_had_any() -> None:
    assert _failed(Expect(buttons_contain=["ср 04.03 19:00"])) == []
    assert _failed(Expect(buttons_contain=["Да"])) == ["buttons_contain"]
    assert _failed(Expect(buttons_contain=["Да"]), Observed([], [], "idle")) == ["buttons_contain"]


def test_no_reply_state_and_handoff() -> None:
    silent = Observed(messages=[], admin_messages=["Клиент просит администратора"], state="idle")
    assert _failed(Expect(no_reply=True), silent) == []
    assert _failed(Expect(no_reply=True)) == ["no_reply"]
    assert _failed(Expect(no_reply=False), silent) == ["no_reply"]
    assert _failed(Expect(state="confirm_booking")) == []
    assert _failed(Expect(state="idle")) == ["state"]
    assert _failed(Expect(handoff=True), silent) == []
    assert _failed(Expect(handoff=True)) == ["handoff"]
    assert _failed(Expect(handoff=False), silent) == ["handoff"]


def test_contains_is_the_outbound_check() -> None:
    reminder = Observed([_msg("Напоминаем: завтра в 19:00 Contemporary")], [], "idle")
    assert _failed(ExpectOutbound(contains=["ЗАВТРА"]), reminder) == []
    assert _failed(ExpectOutbound(contains=["завтра", "адрес"]), reminder) == ["contains"]


def test_an_empty_step_reads_as_no_reply() -> None:
    [failure] = evaluate(Expect(reply_contains=["Привет"]), Observed([], [], "idle"))
    assert failure.actual == "(no reply)"
