"""First names via pymorphy3 (the analyzer is shared with the KB: ``kb.morphology``)."""

from __future__ import annotations

from functools import lru_cache

from dancebot.kb.morphology import morph_analyzer


@lru_cache(maxsize=10_000)
def accusative(name: str) -> str:
    """ "Алиса" → "Алису", for "Записываю Алису"; a name pymorphy3 cannot inflect stays."""
    for parse in morph_analyzer().parse(name.lower()):
        if "Name" in parse.tag:
            inflected = parse.inflect({"accs"})
            if inflected is not None:
                return str(inflected.word).capitalize()
    return name
