"""The floor: the least a webhook bot can do on this machine, to compare the app against.

    python -m bench.floor app --port P --redis URL --prefix K [--consume]
        a bare FastAPI app whose Telegram webhook checks the secret and does one Redis XADD;
        with --consume it also reads the stream (XREADGROUP), queues a reply (RPUSH) and XACKs
    python -m bench.floor sender --redis URL --prefix K --telegram URL --token T
        pops replies (BLPOP) and sends them with one HTTP POST each (sendMessage)

Together (app --consume + sender) they are the minimal stream → queue → HTTP send pipeline;
``app`` alone is the ack floor. Both bind loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from redis.exceptions import ResponseError

from bench.common import LOOPBACK

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
GROUP = "floor"
SENDERS = 4


def _names(prefix: str) -> tuple[str, str]:
    return f"{prefix}:floor:inbound", f"{prefix}:floor:outbound"


def create_floor_app(redis_url: str, *, prefix: str, secret: str, consume: bool) -> FastAPI:
    stream, outbound = _names(prefix)
    redis = aioredis.from_url(redis_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_consume(redis, stream, outbound)) if consume else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await redis.aclose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/webhook/telegram")
    async def webhook(request: Request) -> Response:
        if request.headers.get(SECRET_HEADER) != secret:
            return JSONResponse({"ok": False}, status_code=401)
        body = await request.body()
        try:
            json.loads(body)
        except ValueError:
            return JSONResponse({"ok": False}, status_code=400)
        await redis.xadd(stream, {"update": body}, maxlen=100_000, approximate=True)
        return JSONResponse({"ok": True})

    @app.get("/health")
    async def health() -> Response:
        await redis.ping()
        return JSONResponse({"status": "ok"})

    return app


async def _consume(redis: aioredis.Redis, stream: str, outbound: str) -> None:
    with contextlib.suppress(ResponseError):
        await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
    while True:
        answer = await redis.xreadgroup(GROUP, "floor-1", {stream: ">"}, count=50, block=1000)
        for _, entries in answer or []:
            for entry_id, fields in entries:
                update: dict[str, Any] = json.loads(fields[b"update"])
                chat_id = update.get("message", {}).get("chat", {}).get("id")
                if chat_id is not None:
                    reply = {"chat_id": chat_id, "text": "ok"}
                    await redis.rpush(outbound, json.dumps(reply))
                await redis.xack(stream, GROUP, entry_id)


async def run_sender(redis_url: str, *, prefix: str, telegram: str, token: str) -> None:
    _, outbound = _names(prefix)
    redis = aioredis.from_url(redis_url)
    async with httpx.AsyncClient(base_url=f"{telegram}/bot{token}", timeout=10.0) as client:

        async def loop() -> None:
            while True:
                popped = await redis.blpop([outbound], timeout=1)
                if popped is not None:
                    await client.post("/sendMessage", json=json.loads(popped[1]))

        await asyncio.gather(*(loop() for _ in range(SENDERS)))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("role", choices=["app", "sender"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--secret", default="bench-secret")
    parser.add_argument("--consume", action="store_true")
    parser.add_argument("--telegram", default="")
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    if args.role == "sender":
        asyncio.run(
            run_sender(args.redis, prefix=args.prefix, telegram=args.telegram, token=args.token)
        )
        return
    app = create_floor_app(args.redis, prefix=args.prefix, secret=args.secret, consume=args.consume)
    uvicorn.run(app, host=LOOPBACK, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
