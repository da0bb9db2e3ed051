"""Webhook routes (contract §19, §22): verify, parse, reject replays, durably log, 200.

Nothing slow happens here: no CRM, no LLM. A message is answered 200 only once it is in the
durable inbound stream; a malformed body gets a 4xx and a log line, never a 500; while Redis
(the durable stream) cannot be reached the answer is 503, so the platform retries.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from redis.exceptions import RedisError

from dancebot.adapters.channels.telegram.inbound import (
    MalformedUpdate,
    is_admin_chat,
    parse_update,
    verify_secret,
)
from dancebot.adapters.channels.whatsapp.inbound import (
    MalformedWebhook,
    WhatsAppBatch,
    parse_webhook,
    verify_signature,
    verify_subscription,
)
from dancebot.adapters.inbound.body import MalformedBody, clean_json, read_json
from dancebot.adapters.metrics import INBOUND_DROPPED, INBOUND_RECEIVED
from dancebot.domain.messages import UnifiedMessage

log = structlog.get_logger(__name__)
router = APIRouter()

REPLAY_WINDOW = timedelta(minutes=5)  # on both sides of now: older is a replay, newer a forgery
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WHATSAPP_SIGNATURE_HEADER = "X-Hub-Signature-256"


def _runtime(request: Request) -> Any:
    return request.app.state.runtime


def _refuse(status: int, channel: str, reason: str, detail: str) -> JSONResponse:
    INBOUND_DROPPED.labels(channel, reason).inc()
    log.warning("webhook_rejected", channel=channel, reason=reason, status=status)
    return JSONResponse({"ok": False, "error": detail}, status_code=status)


def _unavailable(channel: str, exc: RedisError) -> JSONResponse:
    """Redis (the durable stream) is down: 503 and one log line; the platform retries."""
    INBOUND_DROPPED.labels(channel, "unavailable").inc()
    log.error("webhook_store_unavailable", channel=channel, error_type=type(exc).__name__)
    return JSONResponse(
        {"ok": False, "error": "temporarily unavailable"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


async def _json(request: Request, raw: bytes | None = None) -> Any:
    """The body as clean JSON. Raises ``MalformedBody``."""
    return read_json(raw if raw is not None else await request.body())


def _out_of_window(runtime: Any, message: UnifiedMessage) -> str | None:
    """ "replay" for a message older than the window, "future" for one dated past it."""
    age = runtime.clock.now() - message.timestamp
    if age > REPLAY_WINDOW:
        return "replay"
    if -age > REPLAY_WINDOW:
        return "future"
    return None


async def _accept(runtime: Any, message: UnifiedMessage) -> str:
    """Replay check, then the durable log. Returns what happened, for the log and tests."""
    channel = message.channel.value
    outside = _out_of_window(runtime, message)
    if outside is not None:
        INBOUND_DROPPED.labels(channel, outside).inc()
        log.info("inbound_replay_dropped", channel=channel, message_id=message.message_id)
        return outside
    if not await runtime.stream.ingest(message):
        INBOUND_DROPPED.labels(channel, "duplicate").inc()
        return "duplicate"
    INBOUND_RECEIVED.labels(channel).inc()
    return "accepted"


@router.post("/webhook/telegram")
async def telegram_webhook(request: Request) -> Response:
    runtime = _runtime(request)
    secret = runtime.settings.telegram_webhook_secret
    if runtime.telegram is None:
        return _refuse(404, "telegram", "disabled", "the Telegram channel is not configured")
    header = request.headers.get(TELEGRAM_SECRET_HEADER)
    if header is None:
        return _refuse(401, "telegram", "unauthorized", "missing secret token")
    if secret is None or not verify_secret(header, secret.get_secret_value()):
        return _refuse(403, "telegram", "unauthorized", "wrong secret token")
    try:
        outcome = await accept_telegram_update(runtime, await _json(request))
    except (MalformedUpdate, MalformedBody) as exc:
        return _refuse(400, "telegram", "malformed", exc.reason)
    except RedisError as exc:
        return _unavailable("telegram", exc)
    return JSONResponse({"ok": True, "result": outcome})


async def accept_telegram_update(runtime: Any, body: Any) -> str:
    """One Telegram update, from the webhook or from long polling: the same path.
    Raises ``MalformedUpdate``, and ``RedisError`` when Redis is down."""
    try:
        body = clean_json(body)  # long polling's updates are not cleaned by the route
    except MalformedBody as exc:
        raise MalformedUpdate(exc.reason) from None
    event = parse_update(body, now=runtime.clock.now())
    if event.message is None:
        return "ignored"
    message = event.message
    if is_admin_chat(event, runtime.admin_chat_id):
        # the admin's commands pass the same replay window and dedup as a client's message
        message = message.model_copy(update={"from_admin_chat": True})
    if event.callback_query_id:
        message = message.model_copy(update={"callback_query_id": event.callback_query_id})
    return await _accept(runtime, message)


@router.get("/webhook/whatsapp")
async def whatsapp_verify(request: Request) -> Response:
    runtime = _runtime(request)
    token = runtime.settings.whatsapp_verify_token
    if runtime.whatsapp is None or token is None:
        return _refuse(404, "whatsapp", "disabled", "the WhatsApp channel is not configured")
    challenge = verify_subscription(
        dict(request.query_params), verify_token=token.get_secret_value()
    )
    if challenge is None:
        return _refuse(403, "whatsapp", "unauthorized", "verification failed")
    return PlainTextResponse(challenge)


@router.post("/webhook/whatsapp")
async def whatsapp_webhook(request: Request) -> Response:
    runtime = _runtime(request)
    secret = runtime.settings.whatsapp_app_secret
    if runtime.whatsapp is None or secret is None:
        return _refuse(404, "whatsapp", "disabled", "the WhatsApp channel is not configured")
    header = request.headers.get(WHATSAPP_SIGNATURE_HEADER)
    if header is None:  # refused before a byte of the body is read
        return _refuse(401, "whatsapp", "unauthorized", "missing signature")
    raw = await request.body()
    if not verify_signature(raw, header, secret.get_secret_value()):
        return _refuse(403, "whatsapp", "unauthorized", "bad signature")
    try:
        batch = parse_webhook(await _json(request, raw), now=runtime.clock.now())
    except (MalformedWebhook, MalformedBody) as exc:
        return _refuse(400, "whatsapp", "malformed", exc.reason)
    try:
        outcomes = await _accept_whatsapp(runtime, batch)
    except RedisError as exc:
        return _unavailable("whatsapp", exc)
    return JSONResponse({"ok": True, "result": outcomes})


async def _accept_whatsapp(runtime: Any, batch: WhatsAppBatch) -> list[str]:
    """The batch's messages into the stream (in order), its statuses logged. Raises
    ``RedisError``."""
    outcomes = []
    for message in batch.messages:
        if _out_of_window(runtime, message) is None:  # a forged date must not open the window
            await runtime.window.opened(message.chat_id, message.timestamp)
        outcomes.append(await _accept(runtime, message))
    for status in batch.statuses:
        if status.status == "failed":
            log.warning(
                "whatsapp_delivery_failed",
                wamid=status.message_id,
                code=status.error_code,
                title=status.error_title,
            )
    return outcomes
