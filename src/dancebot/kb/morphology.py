"""Russian words and their dictionary forms, shared by FAQ search and service matching.

The pymorphy3 analyzer takes a noticeable time and memory to build, so there is one per
process, built on first use; word look-ups are cached because chat vocabulary is small.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pymorphy3

_WORD = re.compile(r"[0-9a-zа-яё]+(?:-[0-9a-zа-яё]+)*")


@lru_cache(maxsize=1)
def morph_analyzer() -> pymorphy3.MorphAnalyzer:
    """The process-wide analyzer (built lazily; a race builds it twice, harmlessly)."""
    return pymorphy3.MorphAnalyzer()


def fold(text: str) -> str:
    """Lower case with ё written as е, the way clients type."""
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    """The words of ``text``, folded; hyphenated words (``хип-хоп``) stay one word."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The most likely dictionary form of one folded word."""
    return fold(morph_analyzer().parse(word)[0].normal_form)


@lru_cache(maxsize=65536)
def lemmas(word: str) -> frozenset[str]:
    """Every dictionary form pymorphy3 considers for one folded word, and the word itself."""
    return frozenset({word, *(fold(p.normal_form) for p in morph_analyzer().parse(word))})


@lru_cache(maxsize=65536)
def is_dictionary_word(word: str) -> bool:
    """True when the word is in the dictionary (not a guess): typos and slang are not."""
    return bool(morph_analyzer().word_is_known(word))
