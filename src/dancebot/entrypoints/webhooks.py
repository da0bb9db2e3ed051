"""Webhook routes (contract §19, §22): verify, parse, reject replays, durably log, 200.

Nothing slow happens here: no CRM, no LLM. A message is answered 200 only once it is in the
durable inbound stream; a malformed body gets a 4xx and a log line, never a 500.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from dancebot.adapters.channels.telegram.inbound import (
    MalformedUpdate,
    is_admin_chat,
    parse_update,
    verify_secret,
)
from dancebot.adapters.channels.whatsapp.inbound import (
    MalformedWebhook,
    parse_webhook,
    verify_signature,
    verify_subscription,
)
from dancebot.adapters.metrics import INBOUND_DROPPED, INBOUND_RECEIVED
from dancebot.domain.messages import UnifiedMessage

log = structlog.get_logger(__name__)
router = APIRouter()

REPLAY_WINDOW = timedelta(minutes=5)
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WHATSAPP_SIGNATURE_HEADER = "X-Hub-Signature-256"


def _runtime(request: Request) -> Any:
    return request.app.state.runtime


def _refuse(status: int, channel: str, reason: str, detail: str) -> JSONResponse:
    INBOUND_DROPPED.labels(channel, reason).inc()
    log.warning("webhook_rejected", channel=channel, reason=reason, status=status)
    return JSONResponse({"ok": False, "error": detail}, status_code=status)


async def _json(request: Request, raw: bytes | None = None) -> Any:
    try:
        return json.loads(raw if raw is not None else await request.body())
    except (ValueError, UnicodeDecodeError):
        return None


async def _accept(runtime: Any, message: UnifiedMessage) -> str:
    """Replay check, then the durable log. Returns what happened, for the log and tests."""
    channel = message.channel.value
    if runtime.clock.now() - message.timestamp > REPLAY_WINDOW:
        INBOUND_DROPPED.labels(channel, "replay").inc()
        log.info("inbound_replay_dropped", channel=channel, message_id=message.message_id)
        return "replay"
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
    except MalformedUpdate as exc:
        return _refuse(400, "telegram", "malformed", exc.reason)
    return JSONResponse({"ok": True, "result": outcome})


async def accept_telegram_update(runtime: Any, body: Any) -> str:
    """One Telegram update, from the webhook or from long polling: the same path.
    Raises ``MalformedUpdate``."""
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
    body = await _json(request, raw)
    try:
        batch = parse_webhook(body, now=runtime.clock.now())
    except MalformedWebhook as exc:
        return _refuse(400, "whatsapp", "malformed", str(exc))
    outcomes = []
    for message in batch.messages:
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
    return JSONResponse({"ok": True, "result": outcomes})
