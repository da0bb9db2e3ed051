from __future__ import annotations

from pathlib import Path

import pytest

from dancebot.ai.policy.emoji import count_emoji
from dancebot.evaluation.invariants import (
    Allowed,
    ai_self_reference,
    check_message,
    clock_times_in,
    prices_in,
    studio_times,
    times_written_by_user,
)
from dancebot.kb.loader import load_kb
from dancebot.kb.schema import KnowledgeBase

PROJECT = Path(__file__).resolve().parents[3]
ONE_RULE = {"schedule": [{"id": 100, "minutesBegin": 1140, "minutesEnd": 1230}]}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb(PROJECT / "knowledge/studio_tatyana.yaml")


@pytest.fixture
def allowed(kb: KnowledgeBase) -> Allowed:
    return Allowed(prices=frozenset(kb.all_prices()), times=studio_times(kb, ONE_RULE))


def _broken(text: str, allowed: Allowed, channel: str = "telegram") -> list[str]:
    return [v.invariant for v in check_message(text, channel=channel, allowed=allowed)]


def test_length_limits_per_channel(allowed: Allowed) -> None:
    assert _broken("а" * 300, allowed) == []
    assert _broken("а" * 301, allowed) == ["length"]
    assert _broken("а" * 200, allowed, "whatsapp") == []
    assert _broken("а" * 201, allowed, "whatsapp") == ["length"]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Готово, вы записаны ✅", 1),
        ("Здравствуйте 💃 Ждём вас 😊", 2),
        ("Пн–Пт 10:00–22:00 • 900 ₽ … «Дальзавод» 123", 0),
        ("⏳ Секунду", 1),
        ("👩‍💻", 1),  # a ZWJ sequence is one emoji
        ("❤️", 1),  # a variation selector is not a second one
        ("👍🏽", 1),  # nor is a skin tone
        ("🇷🇺", 1),  # two regional indicators are one flag
        ("1️⃣", 1),  # a keycap
        ("© 2026 ™", 0),  # text symbols unless asked to be emoji
        ("▶️ Смотреть", 1),
    ],
)
def test_emoji_are_counted_as_a_reader_sees_them(text: str, count: int) -> None:
    assert count_emoji(text) == count


def test_at_most_two_emoji(allowed: Allowed) -> None:
    assert _broken("Ура ✅💃", allowed) == []
    assert _broken("Ура ✅💃⏳", allowed) == ["emoji"]


def test_at_most_one_question(allowed: Allowed) -> None:
    assert _broken("Как вас зовут?", allowed) == []
    assert _broken("Как вас зовут? И телефон?", allowed) == ["questions"]


@pytest.mark.parametrize(
    "text",
    [
        "Как ИИ, я не могу это обещать.",
        "Я — ИИ и не хожу на танцы.",
        "Я бот и не могу записать вас.",
        "К сожалению, как языковая модель я не знаю.",
        "Я искусственный интеллект студии.",
        "As an AI, I cannot dance.",
    ],
)
def test_ai_self_reference_is_caught(text: str, allowed: Allowed) -> None:
    assert ai_self_reference(text) is not None
    assert "ai_self_reference" in _broken(text, allowed)


@pytest.mark.parametrize(
    "text", ["Такие занятия подходят всем", "Записала вас как Ию Петрову", "Ждём вас в студии"]
)
def test_ordinary_words_are_not_self_reference(text: str) -> None:
    assert ai_self_reference(text) is None


def test_prices_must_be_kb_prices(allowed: Allowed) -> None:
    assert 5600 in allowed.prices
    assert _broken("Абонемент на 8 занятий — 5600 ₽", allowed) == []
    assert _broken("Абонемент на 8 занятий — 5 600 ₽", allowed) == []
    assert _broken("Разовое — 900 руб., пробное — 500 р.", allowed) == []
    assert _broken("Разовое — 1234 ₽", allowed) == ["price"]
    assert _broken("8 занятий за месяц", allowed) == []


def test_thousands_groups_are_one_number() -> None:
    assert prices_in("Абонемент 5 600 ₽ и 5 600₽") == [5600, 5600]
    assert prices_in("Абонемент 15600 ₽") == [15600]
    assert prices_in("1 000 000 руб") == [1000000]


def test_times_must_be_justified(allowed: Allowed) -> None:
    assert _broken("Среда, 19:00–20:30", allowed) == []  # the seed's class
    assert _broken("Работаем с 10:00 до 22:00", allowed) == []  # the KB's opening hours
    assert _broken("Отменить можно до 17:00", allowed) == []  # 19:00 − late_cancel_hours
    assert _broken("Ждём вас в 13:37", allowed) == ["time"]
    assert _broken("Ждём вас в 16:20", allowed) == ["time"]


def test_times_the_user_wrote_become_allowed(allowed: Allowed) -> None:
    assert _broken("Записала на 7:45", allowed) == ["time"]
    allowed.learn_from_user("Можно к 7.45 утра?")
    assert _broken("Записала на 7:45", allowed) == []


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("в 19, Мария", {"19:00"}),
        ("к 7 вечера", {"07:00", "19:00"}),
        ("в 19.30 или 20:15", {"19:30", "20:15"}),
        ("после 18", {"18:00"}),
        ("в среду", set()),
        ("+7 999 123-45-67", set()),
        ("в 19.", {"19:00"}),
    ],
)
def test_what_counts_as_a_time_the_user_wrote(text: str, times: set[str]) -> None:
    assert times_written_by_user(text) == times


def test_clock_times_in_bot_text_are_zero_padded() -> None:
    assert clock_times_in("9:30–11:00, тел. 123-45-67, 04.03") == ["09:30", "11:00"]


def test_studio_times_hold_the_seed_the_kb_and_the_derivations(kb: KnowledgeBase) -> None:
    times = studio_times(kb, ONE_RULE)
    assert {"19:00", "20:30", "17:00", "10:00", "22:00", "18:00"} <= times
    assert "16:00" not in times and "21:00" not in times
