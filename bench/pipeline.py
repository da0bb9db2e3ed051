"""Measurements over HTTP, the same for the floor and the app: webhook ack (open loop at fixed
rates, closed loop for the maximum), end-to-end reply latency, burst drain, booking turns with
a slow CRM. Replies are seen by the fake Telegram, which records when each arrived."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from bench.common import median, percentile, until
from bench.conversations import RECEIPT, Conversation
from bench.load import UpdateFactory, client_session, closed_loop, open_loop
from dancebot.testing.fake_telegram import FakeTelegram

GREETING = "Привет"


@dataclass
class Target:
    """A webhook to load and the fake Telegram its replies reach."""

    base_url: str
    telegram: FakeTelegram
    updates: UpdateFactory


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _first_replies(telegram: FakeTelegram, chats: set[int]) -> dict[int, float]:
    first: dict[int, float] = {}
    for sent in telegram.sent:
        chat = int(sent.chat_id) if sent.chat_id.lstrip("-").isdigit() else None
        if chat in chats and chat not in first:
            first[chat] = sent.sent_at
    return first


async def warm_up(target: Target) -> float:
    """One message through the whole way (the worker may still be importing)."""
    chat, _, _ = target.updates.make(GREETING)
    start = time.time()
    await _turn(target, chat, GREETING, expect=None, seconds=120)
    return time.time() - start


async def ack(target: Target, *, rate: float, seconds: float) -> dict[str, float]:
    """Webhook answer latency at a fixed rate (from each request's due time)."""
    shots = await open_loop(
        target.base_url,
        lambda i: target.updates.make(GREETING),
        rate=rate,
        count=int(rate * seconds),
    )
    latencies = [s.latency for s in shots if s.status == 200]
    return {
        "p50_ms": _ms(percentile(latencies, 50)),
        "p95_ms": _ms(percentile(latencies, 95)),
        "errors": sum(s.status != 200 for s in shots),
    }


async def ack_max(target: Target, *, seconds: float, clients: int = 32) -> dict[str, float]:
    rate, failed = await closed_loop(
        target.base_url, lambda i: target.updates.make(GREETING), clients=clients, seconds=seconds
    )
    return {"req_per_s": round(rate, 1), "errors": failed}


async def end_to_end(target: Target, *, rate: float, seconds: float) -> dict[str, float]:
    """From each update's due time to its chat's first reply at the fake Telegram."""
    shots = await open_loop(
        target.base_url,
        lambda i: target.updates.make(GREETING),
        rate=rate,
        count=int(rate * seconds),
    )
    chats = {s.chat_id for s in shots if s.status == 200}
    await until(
        lambda: len(_first_replies(target.telegram, chats)) >= len(chats),
        seconds=60 + seconds,
        what=f"replies to {len(chats)} chats",
    )
    first = _first_replies(target.telegram, chats)
    latencies = [first[s.chat_id] - s.due for s in shots if s.chat_id in first]
    return {
        "p50_ms": _ms(percentile(latencies, 50)),
        "p95_ms": _ms(percentile(latencies, 95)),
        "errors": sum(s.status != 200 for s in shots),
    }


async def burst(target: Target, *, count: int, clients: int = 16) -> dict[str, float]:
    """``count`` updates (new chats) as fast as they are taken; the messages sent per second
    from the first post until every chat had its reply."""
    sent_before = len(target.telegram.sent)
    made = [target.updates.make(GREETING) for _ in range(count)]
    chats = {chat for chat, _, _ in made}
    start = time.time()
    async with client_session(clients) as session:
        queue = iter(made)

        async def client() -> None:
            for _, body, headers in queue:
                async with session.post(
                    target.base_url + "/webhook/telegram", data=body, headers=headers
                ) as response:
                    await response.read()

        await asyncio.gather(*(client() for _ in range(clients)))
    posted = time.time() - start
    await until(
        lambda: len(_first_replies(target.telegram, chats)) >= len(chats),
        seconds=30 + count / 5,
        what=f"the burst of {count} to drain",
    )
    last = max(_first_replies(target.telegram, chats).values())
    messages = len(target.telegram.sent) - sent_before
    return {
        "msg_per_s": round(messages / (last - start), 1),
        "drain_s": round(last - start, 2),
        "post_s": round(posted, 2),
    }


async def _turn(
    target: Target, chat: int, text: str, *, expect: str | None, seconds: float = 60
) -> float:
    """Post one message of a conversation and wait for the bot's answer to it."""
    before = len(target.telegram.sent_messages(chat))
    _, body, headers = target.updates.make(text, chat_id=chat)
    posted = time.time()
    async with (
        aiohttp.ClientSession() as session,
        session.post(target.base_url + "/webhook/telegram", data=body, headers=headers) as answer,
    ):
        await answer.read()

    def answered() -> bool:
        new = target.telegram.sent_messages(chat)[before:]
        return any(expect is None or expect in m.text for m in new)

    try:
        await until(answered, seconds=seconds, what=f"the answer to {text!r} in chat {chat}")
    except TimeoutError as exc:
        seen = [m.text[:80] for m in target.telegram.sent_messages(chat)]
        raise TimeoutError(f"{exc}; the chat saw {seen}") from None
    new = target.telegram.sent_messages(chat)[before:]
    return new[0].sent_at - posted


async def booking_turns(
    target: Target, talks: list[Conversation], *, msg_rate: float, first_chat: int
) -> dict[str, float]:
    """Booking conversations started so that messages arrive at ``msg_rate`` a second in
    total; compares the turn time of the first and the last third of the run."""
    timings: list[tuple[float, float]] = []  # (started, turn seconds)
    booked = 0

    failures: list[str] = []

    async def talk(n: int, conversation: Conversation) -> None:
        nonlocal booked
        chat = first_chat + n
        expects = (None, None, RECEIPT)
        try:
            for text, expect in zip(conversation.messages, expects, strict=True):
                started = time.time()
                timings.append((started, await _turn(target, chat, text, expect=expect)))
        except TimeoutError as exc:
            failures.append(str(exc))
            return
        booked += 1

    tasks = []
    for n, conversation in enumerate(talks):
        tasks.append(asyncio.create_task(talk(n, conversation)))
        await asyncio.sleep(3 / msg_rate)
    await asyncio.gather(*tasks)
    timings.sort()
    third = max(1, len(timings) // 3)
    early = [t for _, t in timings[:third]]
    late = [t for _, t in timings[-third:]]
    return {
        "p50_ms": _ms(median([t for _, t in timings])),
        "first_third_p50_ms": _ms(median(early)),
        "last_third_p50_ms": _ms(median(late)),
        "growth": round(median(late) / median(early), 2),
        "booked": booked,
        "conversations": len(talks),
        "failures": failures[:3],
    }
