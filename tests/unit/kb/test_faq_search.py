"""FAQ search on the sample studio's KB: finds what clients ask, stays quiet otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dancebot.kb import DEFAULT_THRESHOLD, FaqIndex, KnowledgeBase


@pytest.fixture(scope="module")
def index(sample_kb: KnowledgeBase) -> FaqIndex:
    return FaqIndex(sample_kb)


@pytest.mark.parametrize(
    ("question", "expected_q"),
    [
        ("можно прийти без опыта?", "никогда не танцевал"),
        ("Я никогда не танцевала, можно к вам?", "никогда не танцевал"),
        ("нужна ли сменная обувь", "сменная обувь"),
        ("в чём заниматься, что надеть?", "одежда"),
        ("где вы находитесь", "Где вы находитесь"),
        ("какой у вас адрес?", "Где вы находитесь"),
        ("есть ли парковка", "парковка"),
        ("Добрый день! А где можно припарковаться?", "парковка"),
        ("как к вам доехать", "добраться"),
        ("есть душ?", "душ"),
        ("с какого возраста берёте детей", "ребёнка"),
        ("мне 45, не поздно начинать?", "по возрасту"),
        ("есть пробное занятие?", "пробное"),
        ("можно ли заморозить абонемент", "заморозить"),
        ("как отменить запись", "отменить"),
        ("можно оплатить картой?", "оплатить"),
        ("у вас есть индивидуальные занятия?", "индивидуальные"),
        ("хочу подарить подруге сертификат", "сертификаты"),
        ("до скольки вы работаете?", "часы работы"),
    ],
)
def test_finds_the_right_entry(index: FaqIndex, question: str, expected_q: str) -> None:
    hits = index.search(question)
    assert hits, question
    assert expected_q in hits[0].entry.q
    assert hits[0].score >= DEFAULT_THRESHOLD
    best = index.best(question)
    assert best is not None and best.entry == hits[0].entry


@pytest.mark.parametrize(
    "question",
    [
        "сколько стоит аренда зала для свадьбы",
        "какая погода завтра",
        "привет",
        "хочу записаться на хип-хоп в пятницу",
        "кто у вас лучший преподаватель?",
        "можно прийти с собакой",
        "есть ли у вас бассейн",
        "сколько стоит абонемент",
    ],
)
def test_does_not_answer_unrelated_questions(index: FaqIndex, question: str) -> None:
    hits = index.search(question)
    assert all(hit.score < DEFAULT_THRESHOLD for hit in hits), [(h.score, h.entry.q) for h in hits]
    assert index.best(question) is None


def test_limit_and_order(index: FaqIndex) -> None:
    hits = index.search("абонемент занятие", limit=2)
    assert len(hits) == 2
    assert hits[0].score >= hits[1].score
    assert index.search("абонемент занятие", limit=10)[:2] == hits


def test_tags_count(index: FaqIndex) -> None:
    # "сменка" is only in the shoes entry's tags, never in its question or answer
    [hit] = index.search("сменка нужна?", limit=1)
    assert "обувь" in hit.entry.q
    assert hit.score >= DEFAULT_THRESHOLD


def test_empty_faq_finds_nothing(sample_kb: KnowledgeBase) -> None:
    empty = FaqIndex(sample_kb.model_copy(update={"faq": []}))
    assert empty.search("есть ли парковка") == []


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюя ?,-0123456789", max_size=80))
def test_scores_stay_between_0_and_1(sample_kb: KnowledgeBase, question: str) -> None:
    hits = FaqIndex(sample_kb).search(question, limit=20)
    assert all(0 < hit.score <= 1 for hit in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
