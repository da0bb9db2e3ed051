"""First names via pymorphy3 (the analyzer is shared with the KB: ``kb.morphology``)."""

from __future__ import annotations

from functools import lru_cache

from dancebot.kb.morphology import morph_analyzer


@lru_cache(maxsize=50_000)
def first_name(word: str) -> str | None:
    """The nominative first name when ``word`` is a Russian first name ("Марию" → "Мария")."""
    for parse in morph_analyzer().parse(word):
        if "Name" in parse.tag and parse.score >= 0.05:
            return str(parse.normal_form).capitalize()
    return None
