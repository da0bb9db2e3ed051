"""One parse per message: text + session + KB → ``Understanding`` (DESIGN §5).

Placeholder while the deterministic command generator is being written; the signature is the
contract the dialogue manager, the NLU corpus evaluator and the LLM generator share.
"""

from __future__ import annotations

from datetime import date

from dancebot.domain.commands import Unclear, Understanding
from dancebot.domain.session import Session
from dancebot.kb.schema import KnowledgeBase


def understand(text: str, session: Session, kb: KnowledgeBase, today: date) -> Understanding:
    """Every entity in ``text`` and the commands it gives, read in the context of ``session``
    (its state and what the bot just asked: ``session.slots.awaiting``)."""
    del text, session, kb, today
    return Understanding(commands=(Unclear(),))
