"""Which of the studio's services (dance styles) a Russian message mentions.

A service is known by its name and its KB aliases. A mention counts when the message has
the alias's words in any inflected form ("на каблуках"), the alias written together or
apart ("хип хоп", "хипхоп"), the alias with a colloquial ending ("контемпе", "хип-хопчик"),
or a one-letter typo of it ("стретчинк"). Endings and typos are accepted only on words the
dictionary does not know, so ordinary words ("соврать", "платина") never match.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz.distance import Levenshtein

from dancebot.kb.morphology import is_dictionary_word, lemmas, words

if TYPE_CHECKING:
    from dancebot.kb.schema import Service

EXACT, INFLECTED, EXTENDED, TYPO = 1.0, 0.95, 0.85, 0.8
MIN_SCORE = 0.7
_MIN_EXTENDED_KEY = 5  # "контемп" may take an ending, "совр" may not ("соврать")
_MAX_ENDING = 4  # "хипхоп|чик"
_MIN_TYPO_KEY = 6
_MAX_JOINED = 3  # words of the message glued together to meet "хипхоп"


@dataclass(frozen=True)
class ServiceMatch:
    """A service found in a message: how sure (0..1), by which alias, at which word."""

    service: Service
    score: float
    alias: str
    position: int = 0


@dataclass(frozen=True)
class _Alias:
    service: Service
    text: str
    words: tuple[str, ...]
    forms: tuple[frozenset[str], ...]
    key: str  # the alias without spaces and hyphens: "хип-хоп" → "хипхоп"


class ServiceMatcher:
    """Finds services in messages. Build once per service list; matching is then fast."""

    def __init__(self, services: Sequence[Service]) -> None:
        self._aliases: list[_Alias] = []
        for service in services:
            seen: set[tuple[str, ...]] = set()
            for text in (service.name, *service.aliases):
                alias_words = tuple(words(text))
                if alias_words and alias_words not in seen:
                    seen.add(alias_words)
                    self._aliases.append(_alias(service, text, alias_words))
        self.vocabulary: frozenset[str] = frozenset(
            w for alias in self._aliases for w in alias.words
        )
        """Every word of every service name and alias (never a client's name)."""
        # which aliases a message can match at all: by a form of their first word, by their
        # glued key, or — only when the message has words the dictionary does not know — by
        # an ending or a typo (long keys only)
        self._by_first_form: dict[str, list[int]] = {}
        self._by_key: dict[str, list[int]] = {}
        self._fuzzy_by_length: dict[int, list[int]] = {}
        for index, alias in enumerate(self._aliases):
            for form in alias.forms[0]:
                self._by_first_form.setdefault(form, []).append(index)
            self._by_key.setdefault(alias.key, []).append(index)
            if len(alias.key) >= _MIN_EXTENDED_KEY:
                self._fuzzy_by_length.setdefault(len(alias.key), []).append(index)

    def match(self, text: str, *, min_score: float = MIN_SCORE) -> ServiceMatch | None:
        """The service the message most surely names (the first one mentioned on a tie)."""
        found = self.find_all(text, min_score=min_score)
        return max(found, key=lambda m: (m.score, -m.position)) if found else None

    def find_all(self, text: str, *, min_score: float = MIN_SCORE) -> list[ServiceMatch]:
        """Every distinct service the message names, in the order they are mentioned."""
        message = words(text)
        best: dict[str, ServiceMatch] = {}
        for candidate in self._candidates(message):
            if candidate.score < min_score:
                continue
            held = best.get(candidate.service.id)
            if held is None or (candidate.score, -candidate.position) > (
                held.score,
                -held.position,
            ):
                best[candidate.service.id] = candidate
        return sorted(best.values(), key=lambda m: m.position)

    def _candidates(self, message: list[str]) -> Iterator[ServiceMatch]:
        forms = [lemmas(word) for word in message]
        phrase = {i for word in forms for form in word for i in self._by_first_form.get(form, ())}
        # per alias, only the windows it can score on: its key glued exactly, or, when the
        # window's last word is unknown, a key up to _MAX_ENDING shorter (an ending) or 2
        # longer (a typo) — no other window scores (see _glued_score)
        joined: dict[int, dict[int, _Window]] = {}
        for n, window in enumerate(_windows(message)):
            _, glued, unknown = window
            for i in self._by_key.get(glued, ()):
                joined.setdefault(i, {})[n] = window
            if unknown:
                for size in range(len(glued) - _MAX_ENDING, len(glued) + 3):
                    for i in self._fuzzy_by_length.get(size, ()):
                        joined.setdefault(i, {})[n] = window
        for index in sorted(phrase | joined.keys()):  # the aliases' own order
            alias = self._aliases[index]
            if index in phrase:
                yield from _phrase_matches(alias, message, forms)
            if index in joined:
                yield from _joined_matches(alias, [joined[index][n] for n in sorted(joined[index])])


def match_service(text: str, services: Sequence[Service]) -> ServiceMatch | None:
    """The KB service ``text`` mentions, or None. Prefer a prebuilt ``ServiceMatcher``."""
    return ServiceMatcher(services).match(text)


def find_services(text: str, services: Sequence[Service]) -> list[ServiceMatch]:
    """All distinct KB services ``text`` mentions ("хип-хоп и растяжка"), in text order."""
    return ServiceMatcher(services).find_all(text)


def _alias(service: Service, text: str, alias_words: tuple[str, ...]) -> _Alias:
    return _Alias(
        service=service,
        text=text,
        words=alias_words,
        forms=tuple(lemmas(w) for w in alias_words),
        key="".join(alias_words).replace("-", ""),
    )


def _phrase_matches(
    alias: _Alias, message: list[str], forms: list[frozenset[str]]
) -> Iterator[ServiceMatch]:
    """The alias's words in a row, each in any form: "современным танцем", "на каблуках"."""
    size = len(alias.words)
    for start in range(len(message) - size + 1):
        window = range(start, start + size)
        if all(forms[i] & alias.forms[j] for j, i in enumerate(window)):
            exact = tuple(message[start : start + size]) == alias.words
            yield ServiceMatch(alias.service, EXACT if exact else INFLECTED, alias.text, start)


_Window = tuple[int, str, bool]  # first word, the words glued, whether the last is unknown


def _windows(message: list[str]) -> list[_Window]:
    """Up to ``_MAX_JOINED`` words in a row glued together: (first word, glued, whether the
    last word is one the dictionary does not know) — computed once per message."""
    windows: list[_Window] = []
    for start in range(len(message)):
        for size in range(1, min(_MAX_JOINED, len(message) - start) + 1):
            part = message[start : start + size]
            # the changed ending is on the last word ("пол денса"); the rest glue exactly
            windows.append(
                (start, "".join(part).replace("-", ""), not is_dictionary_word(part[-1]))
            )
    return windows


def _joined_matches(alias: _Alias, windows: list[_Window]) -> Iterator[ServiceMatch]:
    """Words glued or split differently, a colloquial ending, a typo: "хип хопчик", "хилсы"."""
    for start, glued, unknown in windows:
        score = _glued_score(alias.key, glued, unknown=unknown)
        if score:
            yield ServiceMatch(alias.service, score, alias.text, start)


def _glued_score(key: str, glued: str, *, unknown: bool) -> float:
    if glued == key:
        return EXACT
    if not unknown or len(key) < _MIN_EXTENDED_KEY:
        return 0.0
    ending = len(glued) - len(key)
    if 0 < ending <= _MAX_ENDING and glued.startswith(key):
        return EXTENDED
    if len(key) < _MIN_TYPO_KEY:
        return 0.0
    allowed = 1 if len(key) < 10 else 2
    candidates = [glued] + ([glued[: len(key)]] if 0 < ending <= 3 else [])
    for index, candidate in enumerate(candidates):
        distance = Levenshtein.distance(candidate, key, score_cutoff=allowed)
        if distance <= allowed:
            return TYPO - 0.05 * (distance - 1) - 0.05 * index
    return 0.0
