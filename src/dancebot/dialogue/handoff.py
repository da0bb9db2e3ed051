"""Handing the conversation to the studio's admin (S4, contract §14).

This module opens the handoff and relays the client's further messages; the admin's side
(``/reply``, ``/close``, timeouts) lives with the admin chat.
"""

from __future__ import annotations

from dancebot.dialogue import replies as R
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply
from dancebot.domain.fsm import State
from dancebot.domain.session import Session
from dancebot.nlu.phone import display_phone

CARD_HISTORY = 6


def admin_card(
    session: Session, *, reason: str, sender_name: str | None, sender_phone: str | None = None
) -> str:
    """Everything the admin needs to act at once. Phones appear here in full: the admin chat
    is the studio's own; logs mask them."""
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
    lines.append(f"Ответить: /reply {session.chat_id} ваш ответ")
    lines.append(f"Закрыть: /close {session.chat_id}")
    return "\n".join(lines)


async def start(ctx: TurnContext, *, reason: str) -> list[Reply]:
    """Tell the client "Передаю администратору ⏳", send the admin a card, wait for the admin."""
    card = admin_card(
        ctx.session,
        reason=reason,
        sender_name=ctx.message.sender_name,
        sender_phone=ctx.message.sender_phone,
    )
    await ctx.deps.admin.notify_admin(card, trace_id=ctx.message.trace_id)
    ctx.session.move_to(State.HANDOFF_TO_ADMIN, now=ctx.now)
    return [R.passing_to_admin()]


async def ask_admin(ctx: TurnContext, *, reason: str) -> list[Reply]:
    """A question the KB cannot answer: the admin gets the card and may ``/reply``, but the
    bot keeps serving the client meanwhile (docs/decisions.md, D9)."""
    card = admin_card(
        ctx.session,
        reason=reason,
        sender_name=ctx.message.sender_name,
        sender_phone=ctx.message.sender_phone,
    )
    await ctx.deps.admin.notify_admin(card, trace_id=ctx.message.trace_id)
    return [R.will_ask_admin()]


async def relay(ctx: TurnContext) -> list[Reply]:
    """While the admin has the conversation the bot stays silent and forwards what the client
    writes (contract §7: "During ADMIN_RESPONDING → relay to admin")."""
    who = ctx.session.slots.client_name or ctx.message.sender_name or ctx.session.chat_id
    await ctx.deps.admin.notify_admin(
        f"💬 {who} ({ctx.session.channel.value}, чат {ctx.session.chat_id}): {ctx.text}\n"
        f"Ответить: /reply {ctx.session.chat_id} …",
        trace_id=ctx.message.trace_id,
    )
    return []
