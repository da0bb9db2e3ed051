"""FAQ search: which knowledge-base answers fit a client's question, and how well (0..1).

Questions and FAQ entries are compared by dictionary forms of their content words (stop
words dropped), each word weighted by how rare it is among the FAQ entries. A word found in
an entry's question or tags counts fully, in its answer partly, and a word sharing only the
stem ("парковаться" / "парковка") counts less. The score is mostly how much of the client's
question the entry covers, so an unrelated question with one shared word ("сколько стоит
аренда зала") stays below ``DEFAULT_THRESHOLD``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from dancebot.kb.morphology import lemma, words
from dancebot.kb.schema import FaqEntry, KnowledgeBase
from dancebot.kb.stopwords import STOP_WORDS
from dancebot.kb.synonyms import canonical

DEFAULT_THRESHOLD = 0.5
CLEAR_WINNER_FLOOR = 0.3
CLEAR_WINNER_MARGIN = 1.5

_IN_QUESTION, _IN_ANSWER = 1.0, 0.5
_STEM_FACTOR = 0.7
_STEM_LENGTH = 5
_QUERY_SHARE = 0.75  # the rest of the score: how much of the entry's question was asked


@dataclass(frozen=True)
class FaqHit:
    entry: FaqEntry
    score: float


def content_lemmas(text: str) -> list[str]:
    """Dictionary forms of the words that carry meaning, in order, without repeats."""
    found: list[str] = []
    for word in words(text):
        if word.isdigit():  # "мне 45", "8 занятий": a number is not a topic
            continue
        base = canonical(lemma(word))
        if base not in STOP_WORDS and word not in STOP_WORDS and base not in found:
            found.append(base)
    return found


def _stem(term: str) -> str | None:
    return term[:_STEM_LENGTH] if len(term) > _STEM_LENGTH else None


@dataclass(frozen=True)
class _Document:
    entry: FaqEntry
    question: frozenset[str]  # the entry's question and tags
    answer: frozenset[str]
    question_terms: tuple[str, ...]  # the entry's own question, for the entry-side share
    question_stems: frozenset[str]
    answer_stems: frozenset[str]

    @classmethod
    def of(cls, entry: FaqEntry) -> _Document:
        asked = content_lemmas(entry.q)
        question = frozenset(asked) | {t for tag in entry.tags for t in content_lemmas(tag)}
        answer = frozenset(content_lemmas(entry.a))
        return cls(
            entry=entry,
            question=question,
            answer=answer,
            question_terms=tuple(asked),
            question_stems=_stems(question),
            answer_stems=_stems(answer),
        )

    def weight_of(self, term: str) -> float:
        """How fully the entry contains ``term`` (0..1)."""
        if term in self.question:
            return _IN_QUESTION
        if term in self.answer:
            return _IN_ANSWER
        stem = _stem(term)
        if stem is None:
            return 0.0
        if stem in self.question_stems:
            return _IN_QUESTION * _STEM_FACTOR
        if stem in self.answer_stems:
            return _IN_ANSWER * _STEM_FACTOR
        return 0.0


def _stems(terms: Iterable[str]) -> frozenset[str]:
    return frozenset(s for s in map(_stem, terms) if s is not None)


class FaqIndex:
    """The KB's FAQ prepared for search. Build once per KB; ``search`` is then cheap."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._documents = [_Document.of(entry) for entry in kb.faq]
        frequency: Counter[str] = Counter()
        for document in self._documents:
            frequency.update(document.question | document.answer)
        self._frequency = frequency

    def _idf(self, term: str) -> float:
        total = len(self._documents)
        return math.log(1 + total / (1 + self._frequency[term]))

    def search(self, question: str, limit: int = 3) -> list[FaqHit]:
        """The best-fitting entries, best first, each with a score in 0..1 (0s left out).

        Apply a threshold (``DEFAULT_THRESHOLD``) before treating a hit as the answer.
        """
        terms = content_lemmas(question)
        if not terms or not self._documents:
            return []
        weights = {term: self._idf(term) for term in terms}
        total = sum(weights.values())
        hits: list[FaqHit] = []
        for document in self._documents:
            covered = sum(w * document.weight_of(t) for t, w in weights.items()) / total
            if covered > 0:
                score = _QUERY_SHARE * covered + (1 - _QUERY_SHARE) * self._asked_share(
                    document, terms
                )
                hits.append(FaqHit(document.entry, round(min(score, 1.0), 4)))
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits[:limit]

    def best(self, question: str, *, threshold: float = DEFAULT_THRESHOLD) -> FaqHit | None:
        """The top entry when it scores at least ``threshold`` — or, for a chatty question
        that dilutes the score, at least ``CLEAR_WINNER_FLOOR`` while no other entry comes
        near it (``CLEAR_WINNER_MARGIN`` times the runner-up) — else None."""
        hits = self.search(question, limit=2)
        if not hits:
            return None
        top = hits[0]
        if top.score >= threshold:
            return top
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        clear = top.score >= CLEAR_WINNER_FLOOR and top.score >= CLEAR_WINNER_MARGIN * runner_up
        return top if clear and self._asked_about(top.entry, question) else None

    def _asked_about(self, entry: FaqEntry, question: str) -> bool:
        """The question names what the entry is about (its question or tags), not merely a
        word of its answer: a weak match must at least be on topic."""
        document = next(d for d in self._documents if d.entry is entry)
        return any(
            document.weight_of(t) >= _IN_QUESTION * _STEM_FACTOR for t in content_lemmas(question)
        )

    def _asked_share(self, document: _Document, terms: list[str]) -> float:
        """How much of the entry's own question the client's words cover (idf-weighted)."""
        own = document.question_terms
        if not own:
            return 0.0
        asked = set(terms)
        asked_stems = _stems(terms)
        total = sum(self._idf(t) for t in own)
        covered = 0.0
        for term in own:
            if term in asked:
                covered += self._idf(term)
            elif _stem(term) in asked_stems:
                covered += self._idf(term) * _STEM_FACTOR
        return covered / total
