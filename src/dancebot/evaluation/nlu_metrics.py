"""Scoring an ``Understanding`` against the corpus labels, the way ``rasa test nlu`` reports.

Commands are compared as multisets of labels: the type, plus the qualifier where the type has
one (``ask_info:address``, ``choose_option:2``, ``handoff:complaint``). A command counts as
right only when its whole label matches, so a wrong topic is one false positive and one false
negative of ``ask_info``. Entities are compared per kind on normalised values (services as a
set, times as HH:MM, days as ISO dates, weekdays sorted); a value predicted for a kind the item
does not label is spurious. An item is an exact match when both its commands and every
entity agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dancebot.domain.commands import COMMAND_TYPES, Understanding, WhenSpec
from dancebot.evaluation.nlu_corpus import ENTITY_KINDS, CorpusItem, normalise_name

MISSING = "∅"


@dataclass(frozen=True)
class Prediction:
    """What the parser said about one message (or the error it raised)."""

    commands: tuple[str, ...]
    entities: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class ItemResult:
    item: CorpusItem
    predicted: Prediction

    @property
    def command_misses(self) -> tuple[Counter[str], Counter[str]]:
        """(expected labels not predicted, predicted labels not expected)."""
        expected = Counter(self.item.expected.commands)
        predicted = Counter(self.predicted.commands)
        return expected - predicted, predicted - expected

    @property
    def wrong_entities(self) -> list[str]:
        """Kinds whose predicted value differs from the label (missing, wrong or spurious)."""
        labels = self.item.expected.entities
        kinds = [k for k in ENTITY_KINDS if k not in self.item.expected.ignore]
        return [k for k in kinds if labels.get(k) != self.predicted.entities.get(k)]

    @property
    def commands_right(self) -> bool:
        missed, extra = self.command_misses
        return not missed and not extra

    @property
    def exact(self) -> bool:
        return self.commands_right and not self.wrong_entities


def label_of(command: Any) -> str:
    """The corpus label of a predicted command."""
    kind = str(command.type)
    if kind == "ask_info":
        return f"ask_info:{command.topic.value}"
    if kind == "handoff":
        return f"handoff:{command.reason.value}"
    if kind == "choose_option":
        return f"choose_option:{command.index}"
    return kind


def prediction_of(understanding: Understanding, offered: int | None = None) -> Prediction:
    """Labels and normalised entities of an ``Understanding``. An entity comes from
    ``understanding.entities``; when that is empty, from the first command that carries it.
    ``offered``: how many options were on screen ("the last one", -1, is that number)."""
    return Prediction(
        commands=tuple(normalise_label(label_of(c), offered) for c in understanding.commands),
        entities=_entities(understanding),
    )


def normalise_label(label: str, offered: int | None) -> str:
    """``choose_option:-1`` is the last option: with ``offered`` options known, that index."""
    if label == "choose_option:-1" and offered:
        return f"choose_option:{offered}"
    return label


def _entities(understanding: Understanding) -> dict[str, Any]:
    found = understanding.entities
    values: dict[str, Any] = {}
    services = list(found.service_ids) or [
        sid for c in understanding.commands if (sid := getattr(c, "service_id", None))
    ]
    if services:
        values["services"] = frozenset(services)
    when = found.when or _first_when(understanding)
    if when is not None:
        values.update(_when_values(when))
    for kind in ("phone", "name", "attendee"):
        value = getattr(found, kind) or _first_attr(understanding, kind)
        if value and (kind == "phone" or normalise_name(value)):
            values[kind] = value if kind == "phone" else normalise_name(value)
    return values


def _first_when(understanding: Understanding) -> WhenSpec | None:
    for command in understanding.commands:
        for attr in ("when", "to"):
            when = getattr(command, attr, None)
            if isinstance(when, WhenSpec) and not when.is_empty:
                return when
    return None


def _first_attr(understanding: Understanding, attr: str) -> str | None:
    for command in understanding.commands:
        value = getattr(command, attr, None)
        if isinstance(value, str) and value:
            return value
    return None


def _when_values(when: WhenSpec) -> dict[str, Any]:
    values: dict[str, Any] = {}
    day = when.day or (min(when.days) if when.days else None)
    if day is not None:
        values["day"] = day
    for kind in ("at", "not_before", "not_after"):
        moment = getattr(when, kind)
        if moment is not None:
            values[kind] = moment.replace(second=0, microsecond=0)
    if when.weekdays:
        values["weekdays"] = tuple(sorted(when.weekdays))
    return values


# --- the report -----------------------------------------------------------------------------


@dataclass
class Counts:
    support: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EntityCounts:
    support: int = 0  # items that label this kind
    correct: int = 0
    wrong: int = 0  # a different value
    missed: int = 0  # no value
    spurious: int = 0  # a value where the item labels none

    @property
    def accuracy(self) -> float:
        return self.correct / self.support if self.support else 0.0

    @property
    def precision(self) -> float:
        said = self.correct + self.wrong + self.spurious
        return self.correct / said if said else 0.0


@dataclass
class NluReport:
    items: int = 0
    errors: int = 0  # items on which the parser raised
    exact: int = 0
    commands_exact: int = 0
    commands: dict[str, Counts] = field(
        default_factory=lambda: {t: Counts() for t in COMMAND_TYPES}
    )
    entities: dict[str, EntityCounts] = field(
        default_factory=lambda: {k: EntityCounts() for k in ENTITY_KINDS}
    )
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def micro(self) -> Counts:
        total = Counts()
        for counts in self.commands.values():
            total.support += counts.support
            total.tp += counts.tp
            total.fp += counts.fp
            total.fn += counts.fn
        return total

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the command types that occur in the labels."""
        scores = [c.f1 for c in self.commands.values() if c.support]
        return sum(scores) / len(scores) if scores else 0.0

    @property
    def exact_rate(self) -> float:
        return self.exact / self.items if self.items else 0.0

    @property
    def commands_exact_rate(self) -> float:
        return self.commands_exact / self.items if self.items else 0.0


def score(results: list[ItemResult]) -> NluReport:
    report = NluReport()
    for result in results:
        report.items += 1
        report.errors += result.predicted.error is not None
        report.exact += result.exact
        report.commands_exact += result.commands_right
        _score_commands(report, result)
        _score_entities(report, result)
    return report


def _kind(label: str) -> str:
    return label.partition(":")[0]


def _score_commands(report: NluReport, result: ItemResult) -> None:
    expected = Counter(result.item.expected.commands)
    predicted = Counter(result.predicted.commands)
    for label, count in expected.items():
        counts = report.commands[_kind(label)]
        counts.support += count
        counts.tp += min(count, predicted[label])
    missed, extra = result.command_misses
    for label, count in missed.items():
        report.commands[_kind(label)].fn += count
    for label, count in extra.items():
        report.commands[_kind(label)].fp += count
    for pair in confusion_pairs(missed, extra):
        report.confusions[pair] += 1


def confusion_pairs(missed: Counter[str], extra: Counter[str]) -> list[tuple[str, str]]:
    """Pair each expected label the parser missed with a label it gave instead: same type
    first (a wrong qualifier), then in label order; leftovers pair with ``∅``."""
    left = sorted(missed.elements())
    right = sorted(extra.elements())
    pairs: list[tuple[str, str]] = []
    for label in list(left):
        same = next((p for p in right if _kind(p) == _kind(label)), None)
        if same is not None:
            pairs.append((label, same))
            left.remove(label)
            right.remove(same)
    pairs += list(zip(left, right, strict=False))
    shared = min(len(left), len(right))
    pairs += [(label, MISSING) for label in left[shared:]]
    pairs += [(MISSING, label) for label in right[shared:]]
    return pairs


def _score_entities(report: NluReport, result: ItemResult) -> None:
    labels = result.item.expected.entities
    said = result.predicted.entities
    for kind, counts in report.entities.items():
        if kind in result.item.expected.ignore:
            continue
        expected, predicted = labels.get(kind), said.get(kind)
        if expected is None:
            counts.spurious += predicted is not None
            continue
        counts.support += 1
        if predicted == expected:
            counts.correct += 1
        elif predicted is None:
            counts.missed += 1
        else:
            counts.wrong += 1
