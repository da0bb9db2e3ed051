"""The studio's knowledge base: schema v1.0, the YAML loader/validator and FAQ search."""

from __future__ import annotations

from dancebot.kb.loader import KbProblem, KnowledgeBaseError, load_kb, validate_kb_file
from dancebot.kb.schema import (
    Escalation,
    FaqEntry,
    Holiday,
    KnowledgeBase,
    Policies,
    Service,
    Studio,
    Teacher,
    Tone,
)
from dancebot.kb.search import DEFAULT_THRESHOLD, FaqHit, FaqIndex

__all__ = [
    "DEFAULT_THRESHOLD",
    "Escalation",
    "FaqEntry",
    "FaqHit",
    "FaqIndex",
    "Holiday",
    "KbProblem",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Policies",
    "Service",
    "Studio",
    "Teacher",
    "Tone",
    "load_kb",
    "validate_kb_file",
]
