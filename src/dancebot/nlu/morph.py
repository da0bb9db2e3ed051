"""First names via pymorphy3 (the analyzer is shared with the KB: ``kb.morphology``)."""

from __future__ import annotations

from functools import lru_cache

from dancebot.kb.morphology import morph_analyzer

NAME_MIN_SCORE = 0.25


@lru_cache(maxsize=50_000)
def first_name(word: str) -> str | None:
    """The nominative first name when ``word`` is a known Russian first name
    ("Марию" → "Мария"); a name typed in the nominative comes back as typed. Words the
    dictionary only guesses at are not taken for names here."""
    analyzer = morph_analyzer()
    if not analyzer.word_is_known(word):
        return None
    # "марта" is far more likely the month than the name Марта: a name must be a likely reading
    names = [p for p in analyzer.parse(word) if "Name" in p.tag and p.score >= NAME_MIN_SCORE]
    if not names:
        return None
    if any("nomn" in p.tag for p in names):
        return word.capitalize()
    return str(names[0].normal_form).capitalize()


@lru_cache(maxsize=10_000)
def accusative(name: str) -> str:
    """ "Алиса" → "Алису", for "Записываю Алису"; a name pymorphy3 cannot inflect stays."""
    for parse in morph_analyzer().parse(name.lower()):
        if "Name" in parse.tag:
            inflected = parse.inflect({"accs"})
            if inflected is not None:
                return str(inflected.word).capitalize()
    return name
