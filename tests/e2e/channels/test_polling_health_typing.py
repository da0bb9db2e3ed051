"""Long polling, /health when a dependency is down, and "печатает…" on slow answers."""

from __future__ import annotations

import redis.asyncio as aioredis
from tests.e2e.channels.conftest import Stack, until

from dancebot.entrypoints.app import create_app
from dancebot.testing.fake_telegram.updates import text_update


async def test_long_polling_takes_the_webhook_path(stack: Stack) -> None:
    app = create_app(stack.settings, clock=stack.clock, keys=stack.keys, telegram_polling=True)
    async with app.router.lifespan_context(app):
        stack.telegram.push_update(
            text_update(2002, "сколько стоит хип-хоп", date=stack.clock.now())
        )

        async def answered() -> bool:
            await stack.run_worker()
            return bool(stack.telegram.sent_messages(2002))

        await until(answered, seconds=20)
    assert "800 ₽" in stack.telegram.sent_messages(2002)[0].text


async def test_health_is_503_when_redis_is_down(stack: Stack) -> None:
    runtime = stack_runtime(stack)
    healthy_redis = runtime.services.redis
    runtime.services.redis = aioredis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2)
    try:
        answer = await stack.http.get(f"{stack.url}/health")
    finally:
        await runtime.services.redis.aclose()
        runtime.services.redis = healthy_redis
    assert answer.status_code == 503
    assert answer.json()["status"] == "down" and answer.json()["redis"].startswith("down")


async def test_a_slow_answer_shows_typing(stack: Stack) -> None:
    stack.emulator.set_fault("slow", 1.6)  # the CRM takes its time
    try:
        update = text_update(3003, "расписание контемпа", date=stack.clock.now())
        assert (await stack.post_telegram(update)).status_code == 200
        await stack.settle()
    finally:
        stack.emulator.set_fault("none")
    assert "typing" in stack.telegram.chat_actions(3003)
    assert "Contemporary" in stack.telegram.sent_messages(3003)[-1].text


def stack_runtime(stack: Stack):  # type: ignore[no-untyped-def]
    from dancebot.entrypoints.app import Runtime

    app_state = stack.app.state  # type: ignore[attr-defined]
    runtime: Runtime = app_state.runtime
    return runtime
