"""Questions the knowledge base answers: the studio's own facts (address, directions, phone,
opening hours), its services (which directions exist, what suits beginners), teachers, the
trial lesson — and the FAQ for everything else.

Each topic is looked up first in the studio's FAQ (its wording is the studio's own), then in
the structured facts of the KB; a question neither can answer goes to the admin (D9), after
the LLM — when one is configured — had its chance to answer from the KB snippets only.
"""

from __future__ import annotations

from dancebot.dialogue import consult, handoff
from dancebot.dialogue import replies as R
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply
from dancebot.domain.commands import InfoTopic
from dancebot.kb.schema import Service

# what each topic is called in everyday Russian: the words an FAQ entry about it would use
_TOPIC_QUERY: dict[InfoTopic, str] = {
    InfoTopic.ADDRESS: "где вы находитесь адрес",
    InfoTopic.DIRECTIONS: "как до вас добраться",
    InfoTopic.PARKING: "парковка рядом парковаться",
    InfoTopic.HOURS: "часы работы когда работает студия",
    InfoTopic.BEGINNERS: "можно ли прийти если никогда не танцевал нужен ли опыт начинающих",
    InfoTopic.TRIAL: "пробное занятие",
}
SNIPPET_MIN_SCORE = 0.2  # an FAQ entry this close is worth handing to the LLM as a source
_BEGINNER_WORDS = ("начина", "новичк", "с нуля", "любой уровень", "любого уровня", "без опыта")


async def answer(
    ctx: TurnContext, topic: InfoTopic, service: Service | None, text: str | None = None
) -> list[Reply]:
    kb = ctx.deps.kb
    studio = kb.studio
    if topic == InfoTopic.ADDRESS:
        return [R.address(studio.address)]
    if topic == InfoTopic.CONTACTS:
        return [R.studio_phone(studio.phone)]
    if topic == InfoTopic.HOURS:
        return [R.opening_hours(studio.schedule)]
    if topic == InfoTopic.TEACHERS:
        return consult.teachers(ctx, service, compare=consult.asks_comparison(ctx.text))
    if topic == InfoTopic.SERVICES:
        return [R.services_list(kb.services)]
    if topic == InfoTopic.DIRECTIONS and studio.how_to_get:
        return [R.directions(studio.address, studio.how_to_get)]
    hit = _faq(ctx, topic, text)
    if topic == InfoTopic.BEGINNERS:
        return _beginners(ctx, hit)
    if hit is not None:
        return [R.faq_answer(hit)]
    if topic == InfoTopic.TRIAL:
        return await _trial(ctx, service)
    if topic == InfoTopic.DIRECTIONS:
        return [R.address(studio.address)]
    return await faq_or_admin(ctx, ctx.text)


def _faq(ctx: TurnContext, topic: InfoTopic, text: str | None) -> str | None:
    """The FAQ's answer to the client's words for this question, else to the topic's usual
    wording."""
    hit = ctx.deps.faq.best(text or ctx.text)
    query = _TOPIC_QUERY.get(topic)
    if hit is None and query is not None:
        hit = ctx.deps.faq.best(query)
    return hit.entry.a if hit is not None else None


def _beginners(ctx: TurnContext, faq_answer: str | None) -> list[Reply]:
    """What suits someone starting from zero: the services the KB describes so."""
    services = ctx.deps.kb.services
    suited = [s for s in services if any(w in s.description.casefold() for w in _BEGINNER_WORDS)]
    replies = [R.faq_answer(faq_answer)] if faq_answer else []
    replies.append(R.for_beginners(suited or list(services)))
    return replies


async def _trial(ctx: TurnContext, service: Service | None) -> list[Reply]:
    trial = [s for s in ctx.deps.kb.services if s.trial_price is not None]
    if service is not None:
        return await consult.prices(ctx, service, trial=True)
    if trial:
        return [R.trial_prices(trial)]
    return await faq_or_admin(ctx, ctx.text)


async def faq_or_admin(ctx: TurnContext, question: str) -> list[Reply]:
    """The FAQ's answer when it has one; the LLM's answer from KB snippets when it is
    configured and passes the policy enforcer; otherwise the admin is asked (D9)."""
    faq = ctx.deps.faq
    hit = faq.best(question) or (faq.best(ctx.text) if question != ctx.text else None)
    if hit is not None:
        return [R.faq_answer(hit.entry.a)]
    phraser = ctx.deps.phraser
    related = [h for h in faq.search(question, limit=3) if h.score >= SNIPPET_MIN_SCORE]
    if phraser is not None and related:  # nothing related in the KB: only the admin knows
        snippets = [f"{h.entry.q} {h.entry.a}" for h in related]
        text = await phraser.answer(
            question,
            session=ctx.session,
            kb=ctx.deps.kb,
            snippets=snippets,
            trace_id=ctx.message.trace_id,
        )
        if text:
            return [R.faq_answer(text)]
    return await handoff.ask_admin(ctx, reason="вопрос без ответа в базе знаний")
