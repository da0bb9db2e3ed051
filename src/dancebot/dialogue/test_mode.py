"""Test mode (contract §17, ``TEST_MODE=true``): ``/debug``, ``/trace {id}``, ``/reset``,
``/budget`` in any chat, for the people testing the bot before it goes live."""

from __future__ import annotations

import json

from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply
from dancebot.domain.budget import BudgetStatus
from dancebot.ports.llm import BudgetView


async def command(ctx: TurnContext) -> list[Reply] | None:
    """The reply to a test-mode command, or None when the text is not one."""
    word, _, rest = ctx.text.strip().partition(" ")
    name = word.lower().split("@")[0]
    if name == "/debug":
        return [Reply(_debug(ctx))]
    if name == "/trace":
        return [Reply(await _trace(ctx, rest.strip()))]
    if name == "/reset":
        await ctx.deps.sessions.delete(ctx.session.channel, ctx.session.chat_id)
        ctx.session.reset(now=ctx.now)
        ctx.session.history.clear()
        return [Reply("Сессия сброшена: состояние idle, слоты пусты.")]
    if name == "/budget":
        return [Reply(await _budget(ctx))]
    return None


async def _budget(ctx: TurnContext) -> str:
    port: object
    for port in (ctx.deps.command_generator, ctx.deps.phraser):
        if isinstance(port, BudgetView):
            return budget_text(await port.budget_status())
    return "LLM не подключён (LLM_PROVIDER=off): токены и деньги не расходуются."


def budget_text(status: BudgetStatus) -> str:
    """The budget guard's counters against their limits (contract §12)."""
    usage, limits = status.usage, status.limits
    lines = [
        f"токены за час: {usage.tokens} из {limits.tokens_per_hour}",
        f"расход за сутки: ${usage.cost_usd:.4f} из ${limits.cost_per_day_usd:g}",
        f"запросы за минуту: {usage.requests} из {limits.requests_per_minute}",
        f"ошибки за час: {usage.errors} из {limits.errors_per_hour}",
    ]
    breach = status.breach
    if breach is None:
        lines.append("LLM работает (L0).")
    else:
        lines.append(
            f"лимит исчерпан ({breach.counter}): без LLM до {breach.until:%H:%M} UTC (L2)."
        )
    return "\n".join(lines)


def _debug(ctx: TurnContext) -> str:
    session = ctx.session
    slots = {
        k: v for k, v in session.slots.model_dump(mode="json").items() if v not in (None, [], False)
    }
    return (
        f"state: {session.state.value} (с {session.state_since:%Y-%m-%d %H:%M} UTC)\n"
        f"slots: {json.dumps(slots, ensure_ascii=False)}\n"
        f"история: {len(session.history)} сообщений; trace этого сообщения: {ctx.message.trace_id}"
    )


async def _trace(ctx: TurnContext, trace_id: str) -> str:
    if not trace_id:
        return "Укажите trace id: /trace 1f0c…"
    # only this chat's own traces: a tester must not read another client's conversation;
    # LLM calls carry no chat, so they are shown for a trace this chat's messages own
    records = [
        record
        for record in await ctx.deps.audit.messages(chat_id=ctx.session.chat_id, trace_id=trace_id)
        if record.channel == ctx.session.channel
    ]
    if not records:
        return f"По trace {trace_id} ничего не найдено."
    lines = [f"trace {trace_id}:"]
    for record in records:
        arrow = "→" if record.direction == "in" else "←"
        lines.append(f"{record.at:%H:%M:%S} {arrow} [{record.state}] {record.text}")
    for call in await ctx.deps.audit.llm_calls(trace_id=trace_id):
        lines.append(
            f"{call.at:%H:%M:%S} LLM {call.outcome} {call.provider}:{call.model} "
            f"{call.prompt_tokens}+{call.completion_tokens} ток. ${call.cost_usd} "
            f"{call.latency_ms} мс"
        )
    return "\n".join(lines)
