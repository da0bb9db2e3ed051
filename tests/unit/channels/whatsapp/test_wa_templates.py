"""The three RFC §19.2 templates: their exact words, rendering and parameter checks."""

from __future__ import annotations

import pytest

from dancebot.adapters.channels.whatsapp.templates import (
    TEMPLATES,
    TemplateError,
    clean_params,
    render_template,
    template_for,
)
from dancebot.domain.messages import TemplateCall


def test_the_three_approved_templates_are_there_with_their_parameter_counts() -> None:
    assert {name: t.param_count for name, t in TEMPLATES.items()} == {
        "lesson_reminder_24h": 3,
        "lesson_reminder_2h": 2,
        "booking_confirm": 3,
    }
    assert {t.language for t in TEMPLATES.values()} == {"ru"}


def test_reminder_24h_renders_the_rfc_text() -> None:
    call = TemplateCall(name="lesson_reminder_24h", params=("Анна", "19:00", "Contemporary"))
    assert (
        render_template(call) == "Привет Анна! Завтра в 19:00 у тебя Contemporary. До встречи! 💃"
    )


def test_reminder_2h_renders_the_rfc_text() -> None:
    call = TemplateCall(name="lesson_reminder_2h", params=("Анна", "Бачата в 19:00"))
    assert render_template(call) == "Анна, через 2 часа — Бачата в 19:00. Ждём!"


def test_booking_confirm_renders_the_rfc_text() -> None:
    call = TemplateCall(name="booking_confirm", params=("Анна", "Бачата", "пт 14.03 19:00"))
    assert render_template(call) == (
        "Анна, вы записаны: Бачата, пт 14.03 19:00. Вопросы? Напишите!"
    )


def test_a_parameter_that_looks_like_a_placeholder_is_not_substituted_again() -> None:
    call = TemplateCall(name="lesson_reminder_2h", params=("{{2}}", "йога"))
    assert render_template(call) == "{{2}}, через 2 часа — йога. Ждём!"


@pytest.mark.parametrize("params", [(), ("Анна",), ("Анна", "19:00"), ("a", "b", "c", "d")])
def test_a_wrong_number_of_parameters_is_refused(params: tuple[str, ...]) -> None:
    with pytest.raises(TemplateError, match="takes 3 parameters"):
        render_template(TemplateCall(name="booking_confirm", params=params))


def test_an_unknown_template_is_refused() -> None:
    with pytest.raises(TemplateError, match="unknown"):
        template_for(TemplateCall(name="promo_spring", params=()))


def test_another_language_is_refused() -> None:
    call = TemplateCall(name="lesson_reminder_2h", params=("Ann", "Salsa"), language="en")
    with pytest.raises(TemplateError, match="approved in 'ru'"):
        template_for(call)


def test_parameters_lose_new_lines_tabs_and_runs_of_spaces() -> None:
    # Meta refuses a parameter with a new line, a tab or more than four spaces in a row.
    assert clean_params(("Анна\nМария", " Бачата\t(нач.)     ")) == ("Анна Мария", "Бачата (нач.)")
    call = TemplateCall(name="lesson_reminder_2h", params=("Анна\n", "Бачата  в 19:00"))
    assert render_template(call) == "Анна, через 2 часа — Бачата в 19:00. Ждём!"
