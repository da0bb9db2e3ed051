"""Words that mean the same thing in a client's question and in an FAQ entry, although their
dictionary forms differ: aspect pairs whose stems differ ("взять" / "брать"), and everyday
synonyms of a studio's questions ("сменка" / "сменная обувь"). Each maps to one canonical
lemma; FAQ search compares canonical lemmas. General Russian, nothing studio-specific.
"""

from __future__ import annotations

_GROUPS: tuple[tuple[str, ...], ...] = (
    ("брать", "взять"),
    ("класть", "положить"),
    ("надевать", "надеть", "одеть", "одевать"),
    ("платить", "оплатить", "оплачивать", "заплатить", "расплатиться", "расплачиваться"),
    ("покупать", "купить", "приобрести", "приобретать"),
    ("говорить", "сказать"),
    ("искать", "найти", "находить"),
    ("ставить", "поставить", "парковать", "припарковать", "парковаться", "припарковаться"),
    ("одежда", "форма", "экипировка"),
    ("сменка", "сменный"),
    ("переодеться", "переодеваться", "раздевалка"),
    ("ребёнок", "ребенок", "дети", "сын", "дочь", "дочка"),
    ("абонемент", "абик", "абонент"),
    ("заморозить", "заморозка", "замораживать", "приостановить", "пауза"),
    ("опаздывать", "опоздать", "задержаться", "задерживаться"),
    ("подарок", "подарочный", "подарить", "сертификат"),
    ("стоить", "цена", "стоимость"),
)
CANONICAL: dict[str, str] = {word: group[0] for group in _GROUPS for word in group}


def canonical(lemma: str) -> str:
    return CANONICAL.get(lemma, lemma)
