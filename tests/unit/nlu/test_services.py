"""Finding the studio's services (dance styles) in Russian messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from dancebot.kb import KnowledgeBase, Service, load_kb
from dancebot.nlu.services import (
    MIN_SCORE,
    ServiceMatcher,
    find_services,
    match_service,
)

SAMPLE = Path(__file__).resolve().parents[3] / "knowledge" / "studio_tatyana.yaml"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb(SAMPLE)


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> ServiceMatcher:
    return ServiceMatcher(kb.services)


@pytest.mark.parametrize(
    ("text", "service_id"),
    [
        # names and aliases as written
        ("Contemporary", "contemporary"),
        ("контемпорари", "contemporary"),
        ("хочу на совр", "contemporary"),
        ("хипхоп", "hiphop"),
        ("хип хоп", "hiphop"),
        ("Hip-Hop для начинающих", "hiphop"),
        ("хилс", "heels"),
        ("хай-хилс", "heels"),
        ("High Heels", "heels"),
        ("джаз фанк", "jazzfunk"),
        ("джазфанк", "jazzfunk"),
        ("Детская хореография", "kids"),
        ("латина", "latina"),
        # inflected forms
        ("хочу на контемпе", "contemporary"),
        ("занимаюсь современным танцем", "contemporary"),
        ("хочу на растяжку", "stretching"),
        ("мечтаю сесть на шпагат", "stretching"),
        ("а на каблуках есть группа?", "heels"),
        ("запишите на сальсу", "latina"),
        ("хочу на латину", "latina"),
        ("есть что-нибудь для детей?", "kids"),
        ("в детскую группу", "kids"),
        # colloquial endings
        ("запишите на хип-хопчик", "hiphop"),
        ("на хип хопчик", "hiphop"),
        ("стретчингом занимаетесь?", "stretching"),
        # typos
        ("контемпорори", "contemporary"),
        ("стретчинк", "stretching"),
        ("стретчинку хочу", "stretching"),
        ("джазфанг", "jazzfunk"),
        ("контемпарари во вторник", "contemporary"),
    ],
)
def test_finds_the_service(matcher: ServiceMatcher, text: str, service_id: str) -> None:
    found = matcher.match(text)
    assert found is not None, text
    assert found.service.id == service_id
    assert MIN_SCORE <= found.score <= 1


@pytest.mark.parametrize(
    "text",
    [
        "хочу записаться на завтра",
        "привет",
        "сколько стоит",
        "какое у вас расписание?",
        "а для взрослых есть группы?",
        "какие есть современные направления",
        "не хочу соврать",
        "растяжение связок, можно пропустить?",
        "детали уточню позже",
        "платина",
        "контакты студии",
        "хорошо, спасибо",
        "запишите меня, Анна, +79991234567",
        "",
    ],
)
def test_ordinary_words_name_no_service(matcher: ServiceMatcher, text: str) -> None:
    assert matcher.match(text) is None
    assert matcher.find_all(text) == []


@pytest.mark.parametrize(
    ("text", "service_ids"),
    [
        ("хип-хоп и растяжка", ["hiphop", "stretching"]),
        ("растяжка или хип хоп, и ещё хилс", ["stretching", "hiphop", "heels"]),
        ("хипхоп, хип-хоп, хип хоп", ["hiphop"]),
        ("сальса или бачата соло", ["latina"]),
    ],
)
def test_finds_all_distinct_services_in_order(
    kb: KnowledgeBase, text: str, service_ids: list[str]
) -> None:
    assert [m.service.id for m in find_services(text, kb.services)] == service_ids


@pytest.mark.parametrize(
    ("text", "alias", "score"),
    [
        ("хип-хоп", "хип-хоп", 1.0),  # exact
        ("на растяжку", "растяжка", 0.95),  # inflected
        ("хип-хопчик", "хип-хоп", 0.85),  # colloquial ending
        ("стретчинк", "стретчинг", 0.8),  # one typo
    ],
)
def test_reports_alias_and_how_sure(
    matcher: ServiceMatcher, text: str, alias: str, score: float
) -> None:
    found = matcher.match(text)
    assert found is not None
    assert (found.alias, found.score) == (alias, score)


def test_exact_mention_wins_over_inflected(matcher: ServiceMatcher) -> None:
    # "ребёнка" is kids by inflection, "хип-хоп" is exact: the style asked for is hip-hop
    found = matcher.match("запишите ребёнка на хип-хоп")
    assert found is not None and found.service.id == "hiphop"
    ids = [m.service.id for m in matcher.find_all("запишите ребёнка на хип-хоп")]
    assert ids == ["kids", "hiphop"]


def test_tie_goes_to_the_first_mentioned(matcher: ServiceMatcher) -> None:
    found = matcher.match("хилс или джаз-фанк")
    assert found is not None and found.service.id == "heels"


def test_wrappers_agree_with_matcher(kb: KnowledgeBase, matcher: ServiceMatcher) -> None:
    text = "можно на контемп в субботу?"
    direct = match_service(text, kb.services)
    assert direct is not None and direct == matcher.match(text)


def test_works_with_any_service_list() -> None:
    ballet = Service(
        id="ballet",
        name="Балет",
        aliases=["классика", "классический танец"],
        description="",
        price_single=1,
        price_subscription_8=1,
    )
    found = match_service("хочу на классический танец", [ballet])
    assert found is not None and found.service is ballet
    assert match_service("хочу на хип-хоп", [ballet]) is None
    assert match_service("балет", []) is None
