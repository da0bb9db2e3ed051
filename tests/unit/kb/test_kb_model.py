"""The sample studio's KB as the rest of the bot sees it, and the KnowledgeBase helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dancebot.kb import KnowledgeBase, load_kb

WriteKb = Callable[[dict[str, Any]], Path]

# The CRM emulator's seed names its styles exactly so: the KB must match them.
CRM_STYLES = {
    "contemporary": "Contemporary",
    "hiphop": "Hip-Hop",
    "heels": "High Heels",
    "stretching": "Stretching",
    "jazzfunk": "Jazz-Funk",
    "kids": "Детская хореография",
    "latina": "Latina Solo",
}


def test_sample_services_match_crm_style_names(sample_kb: KnowledgeBase) -> None:
    assert {s.id: s.name for s in sample_kb.services} == CRM_STYLES


def test_sample_prices_are_realistic(sample_kb: KnowledgeBase) -> None:
    for service in sample_kb.services:
        assert 700 <= service.price_single <= 1000, service.id
        assert 4800 <= service.price_subscription_8 <= 6400, service.id
        assert service.trial_price is None or service.trial_price < service.price_single


def test_sample_teachers_and_styles(sample_kb: KnowledgeBase) -> None:
    styles = {t.name: set(t.styles) for t in sample_kb.teachers}
    assert styles == {
        "Анна Петрова": {"contemporary", "stretching"},
        "Дмитрий Ким": {"hiphop"},
        "Екатерина Соколова": {"heels", "jazzfunk"},
        "Ольга Морозова": {"kids", "stretching"},
        "Алина Ли": {"latina"},
    }
    assert [t.name for t in sample_kb.teachers_for("stretching")] == [
        "Анна Петрова",
        "Ольга Морозова",
    ]


def test_sample_studio_tone_policies(sample_kb: KnowledgeBase) -> None:
    assert sample_kb.studio.address == "г. Владивосток, ул. Светланская, 87, 3 этаж"
    assert sample_kb.studio.phone == "+74232650987"
    assert sample_kb.tz.key == "Asia/Vladivostok"
    assert (sample_kb.tone.pronouns, sample_kb.tone.emoji, sample_kb.tone.language) == (
        "вы",
        2,
        "ru",
    )
    policies = sample_kb.policies
    assert (policies.late_cancel_hours, policies.serial_booking_max) == (2, 5)
    assert policies.booking_horizon_days == 30
    assert sample_kb.escalation.admin_telegram_id < 0
    assert {"жалоба", "возврат", "позовите администратора"} <= set(sample_kb.escalation.triggers)


def test_sample_faq_is_complete(sample_kb: KnowledgeBase) -> None:
    assert len(sample_kb.faq) >= 14
    assert all(entry.tags for entry in sample_kb.faq)
    answers = " ".join(entry.a for entry in sample_kb.faq)
    assert "не позднее чем за 2 часа" in answers
    assert "уточните у администратора" in answers


@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        (date(2026, 4, 30), None),
        (date(2026, 5, 1), "Майские праздники"),
        (date(2026, 5, 3), "Майские праздники"),
        (date(2026, 5, 4), None),
        (date(2026, 12, 30), None),
        (date(2026, 12, 31), "Новогодние каникулы"),
        (date(2027, 1, 8), "Новогодние каникулы"),
        (date(2027, 1, 9), None),
    ],
)
def test_holiday_on(sample_kb: KnowledgeBase, day: date, holiday: str | None) -> None:
    found = sample_kb.holiday_on(day)
    assert (found.name if found else None) == holiday


def test_service_by_id(sample_kb: KnowledgeBase) -> None:
    hiphop = sample_kb.service_by_id("hiphop")
    assert hiphop is not None
    assert hiphop.name == "Hip-Hop"
    assert sample_kb.service_by_id("ballet") is None


def test_all_prices_are_the_service_prices(sample_kb: KnowledgeBase) -> None:
    expected = {
        price
        for s in sample_kb.services
        for price in (s.price_single, s.price_subscription_8, s.trial_price)
        if price is not None
    }
    assert sample_kb.all_prices() == expected
    assert {400, 500, 900, 6400} <= expected


def test_all_prices_include_sums_in_faq_text(
    template_data: dict[str, Any], write_kb: WriteKb
) -> None:
    template_data["faq"].append(
        {
            "q": "Индивидуальные занятия?",
            "a": "Индивидуальное — 2 500 ₽, пара — 3000 руб.",
            "tags": [],
        }
    )
    kb = load_kb(write_kb(template_data))
    assert {2500, 3000, 800, 5200, 400} == kb.all_prices()


def test_models_are_frozen(sample_kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="frozen"):
        sample_kb.studio.name = "Другая"  # type: ignore[misc]
