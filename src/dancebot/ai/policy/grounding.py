"""Building a ``Grounding`` from the knowledge base and the session."""

from __future__ import annotations

from collections.abc import Iterable

from dancebot.ai.policy.enforcer import Grounding
from dancebot.domain.session import Session
from dancebot.kb.schema import KnowledgeBase


def grounding_for(
    kb: KnowledgeBase,
    session: Session,
    *,
    source: str,
    allowed_times: Iterable[str] = (),
    keep: str | None = None,
) -> Grounding:
    """What a reply to ``session``'s client may rest on: ``source`` (the code-built text or
    the snippets), the KB's prices, names and teachers, and ``allowed_times``."""
    names = [kb.studio.name, kb.studio.address]
    names += [t.name for t in kb.teachers]
    for service in kb.services:
        names += [service.name, *service.aliases]
    names += [n for n in (session.slots.client_name, session.slots.attendee_name) if n]
    return Grounding(
        channel=session.channel.value,
        source=source,
        prices=frozenset(kb.all_prices()),
        times=frozenset(allowed_times),
        known_names=frozenset(names),
        teacher_names=frozenset(t.name for t in kb.teachers),
        max_emoji=kb.tone.emoji,
        keep=keep,
    )
