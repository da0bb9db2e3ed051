"""The model's view of a long conversation (RFC §10 CC-22): the last 20 turns as they are,
and a running summary of the older ones.

The session keeps only its last 20 turns, so turns are folded into the summary while they
are still there: every call folds the turns older than the newest ``KEEP_RAW`` it has not
folded yet. The summary is extractive (who said what, shortened, phones masked) and made by
code: it costs no LLM call and cannot invent anything. It is kept per chat for 30 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dancebot.domain.privacy import mask_phones_in_text
from dancebot.domain.session import Turn

KEEP_RAW = 12  # turns not folded yet; the session holds 20, so 8 turns of overlap
SUMMARY_CHARS = 800
TURN_CHARS = 100
_ROLES = {"user": "клиент", "bot": "бот", "admin": "админ"}


@dataclass(frozen=True)
class Summary:
    text: str = ""
    folded_until: datetime | None = None  # the newest turn folded in


class SummaryStore(Protocol):
    async def load(self, channel: str, chat_id: str) -> Summary: ...

    async def save(self, channel: str, chat_id: str, summary: Summary) -> None: ...


def fold(summary: Summary, history: Sequence[Turn]) -> Summary:
    """``summary`` with the turns older than the newest ``KEEP_RAW`` folded in."""
    older = list(history[:-KEEP_RAW]) if len(history) > KEEP_RAW else []
    new = [t for t in older if summary.folded_until is None or t.at > summary.folded_until]
    if not new:
        return summary
    lines = [summary.text] if summary.text else []
    lines += [f"{_ROLES.get(t.role, t.role)}: {_short(t.text)}" for t in new]
    text = "\n".join(lines)
    if len(text) > SUMMARY_CHARS:
        text = text[-SUMMARY_CHARS:]
        text = text.split("\n", 1)[-1]  # start at a whole line
    return Summary(text=text, folded_until=new[-1].at)


def _short(text: str) -> str:
    text = " ".join(mask_phones_in_text(text).split())
    return text if len(text) <= TURN_CHARS else text[: TURN_CHARS - 1] + "…"
