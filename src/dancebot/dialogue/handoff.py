"""Handing the conversation to the studio's admin (S4, contract §14).

This module opens the handoff and relays the client's further messages through the admin
desk (the admin chat with ``/reply``, or the client's forum topic); the admin's side
(``/reply``, ``/close``, the topic's buttons, timeouts) lives with the admin chat.
"""

from __future__ import annotations

from dancebot.dialogue import replies as R
from dancebot.dialogue.admin_desk import PlainAdminDesk
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply
from dancebot.domain.fsm import State
from dancebot.domain.session import Session
from dancebot.nlu.phone import display_phone
from dancebot.ports.outbox import AdminDesk, ClientRef

CARD_HISTORY = 6


def admin_card(
    session: Session, *, reason: str, sender_name: str | None, sender_phone: str | None = None
) -> str:
    """Everything the admin needs to act at once (the desk adds how to answer). Phones appear
    here in full: the admin chat is the studio's own; logs mask them."""
    slots = session.slots
    phone = slots.client_phone or sender_phone
    lines = [
        f"🔔 Эскалация: {reason}",
        f"Клиент: {slots.client_name or sender_name or '—'} · {session.channel.value} · "
        f"чат {session.chat_id}",
        f"Телефон: {display_phone(phone) if phone else '—'}",
    ]
    filled = {
        "направление": slots.service_id,
        "занятие": slots.lesson.label if slots.lesson else None,
        "за кого": slots.attendee_name,
    }
    if any(filled.values()):
        lines.append("Слоты: " + ", ".join(f"{k}: {v}" for k, v in filled.items() if v))
    lines.append("Последние сообщения:")
    lines += [
        f"  {'👤' if t.role == 'user' else '🤖'} {t.text}" for t in session.history[-CARD_HISTORY:]
    ]
    return "\n".join(lines)


def desk(ctx: TurnContext) -> AdminDesk:
    return ctx.deps.desk or PlainAdminDesk(ctx.deps.admin)


def client_of(session: Session) -> ClientRef:
    return ClientRef(session.channel, session.chat_id)


def case_title(session: Session, *, sender_name: str | None) -> str:
    """A topic's name: who, and where they write from."""
    who = session.slots.client_name or sender_name or "Клиент"
    return f"{who} · {session.channel.value} {session.chat_id}"


async def _open_case(ctx: TurnContext, *, reason: str) -> None:
    card = admin_card(
        ctx.session,
        reason=reason,
        sender_name=ctx.message.sender_name,
        sender_phone=ctx.message.sender_phone,
    )
    await desk(ctx).open_case(
        client_of(ctx.session),
        title=case_title(ctx.session, sender_name=ctx.message.sender_name),
        card=card,
        trace_id=ctx.message.trace_id,
    )


async def start(ctx: TurnContext, *, reason: str) -> list[Reply]:
    """Tell the client "Передаю администратору ⏳", send the admin a card, wait for the admin."""
    await _open_case(ctx, reason=reason)
    ctx.session.move_to(State.HANDOFF_TO_ADMIN, now=ctx.now)
    return [R.passing_to_admin()]


async def ask_admin(ctx: TurnContext, *, reason: str) -> list[Reply]:
    """A question the KB cannot answer: the admin gets the card and may answer, but the
    bot keeps serving the client meanwhile (docs/decisions.md, D9)."""
    await _open_case(ctx, reason=reason)
    return [R.will_ask_admin()]


async def relay(ctx: TurnContext) -> list[Reply]:
    """While the admin has the conversation the bot stays silent and forwards what the client
    writes (contract §7: "During ADMIN_RESPONDING → relay to admin")."""
    who = ctx.session.slots.client_name or ctx.message.sender_name or ctx.session.chat_id
    await desk(ctx).client_wrote(
        client_of(ctx.session), who=who, text=ctx.text, trace_id=ctx.message.trace_id
    )
    return []
