"""Inbound webhooks as Meta posts them, built for tests: messages of every kind and delivery
statuses (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/
reference/messages and …/messages/status), the exact bytes, and their signature
(``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body under the app secret>``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

from dancebot.testing.fake_whatsapp.graph import FAILURES

DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_DISPLAY_NUMBER = "15550783881"
DEFAULT_WABA_ID = "102290129340398"


def new_wamid() -> str:
    """A message id shaped like Meta's (``wamid.`` + base64)."""
    return "wamid." + base64.b64encode(secrets.token_bytes(30)).decode("ascii")


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` header value Meta would send with ``body``."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_body(payload: dict[str, Any]) -> bytes:
    """``payload`` as the bytes Meta posts (compact JSON, non-ASCII escaped as ``\\uXXXX``):
    sign these exact bytes and send them."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _envelope(value: dict[str, Any], *, phone_number_id: str) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": DEFAULT_DISPLAY_NUMBER,
            "phone_number_id": phone_number_id,
        },
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": DEFAULT_WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def _inbound(
    kind: str,
    content: Any,
    *,
    wa_id: str,
    at: datetime,
    name: str,
    wamid: str | None,
    phone_number_id: str,
    context: dict[str, str] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "from": wa_id,
        "id": wamid or new_wamid(),
        "timestamp": str(int(at.timestamp())),
        "type": kind,
        kind: content,
    }
    if context is not None:
        message = {"context": context, **message}
    contact = {"profile": {"name": name}, "wa_id": wa_id}
    return _envelope(
        {"contacts": [contact], "messages": [message]}, phone_number_id=phone_number_id
    )


def inbound_text(
    *,
    wa_id: str,
    text: str,
    at: datetime,
    name: str = "Анна",
    wamid: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """A client's text message."""
    return _inbound(
        "text",
        {"body": text},
        wa_id=wa_id,
        at=at,
        name=name,
        wamid=wamid,
        phone_number_id=phone_number_id,
    )


def inbound_button_reply(
    *,
    wa_id: str,
    payload: str,
    title: str,
    at: datetime,
    name: str = "Анна",
    wamid: str | None = None,
    replied_to: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """A press on a reply button (``payload`` = the button's id) of message ``replied_to``."""
    return _interactive(
        "button_reply",
        {"id": payload, "title": title},
        wa_id=wa_id,
        at=at,
        name=name,
        wamid=wamid,
        replied_to=replied_to,
        phone_number_id=phone_number_id,
    )


def inbound_list_reply(
    *,
    wa_id: str,
    payload: str,
    title: str,
    at: datetime,
    description: str | None = None,
    name: str = "Анна",
    wamid: str | None = None,
    replied_to: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """A choice from a list message (``payload`` = the row's id)."""
    reply = {"id": payload, "title": title}
    if description is not None:
        reply["description"] = description
    return _interactive(
        "list_reply",
        reply,
        wa_id=wa_id,
        at=at,
        name=name,
        wamid=wamid,
        replied_to=replied_to,
        phone_number_id=phone_number_id,
    )


def _interactive(
    reply_kind: str,
    reply: dict[str, str],
    *,
    wa_id: str,
    at: datetime,
    name: str,
    wamid: str | None,
    replied_to: str | None,
    phone_number_id: str,
) -> dict[str, Any]:
    return _inbound(
        "interactive",
        {"type": reply_kind, reply_kind: reply},
        wa_id=wa_id,
        at=at,
        name=name,
        wamid=wamid,
        phone_number_id=phone_number_id,
        context={"from": DEFAULT_DISPLAY_NUMBER, "id": replied_to or new_wamid()},
    )


def inbound_template_button(
    *,
    wa_id: str,
    payload: str,
    text: str,
    at: datetime,
    name: str = "Анна",
    wamid: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """A press on a template's quick-reply button (message type ``button``)."""
    return _inbound(
        "button",
        {"payload": payload, "text": text},
        wa_id=wa_id,
        at=at,
        name=name,
        wamid=wamid,
        phone_number_id=phone_number_id,
        context={"from": DEFAULT_DISPLAY_NUMBER, "id": new_wamid()},
    )


def inbound_media(
    kind: str,
    *,
    wa_id: str,
    at: datetime,
    name: str = "Анна",
    wamid: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """A non-text message: ``kind`` is ``voice`` (sent as audio with ``voice: true``, as the
    Cloud API does), ``audio``, ``image``, ``video``, ``document``, ``sticker``,
    ``location``, ``contacts`` or anything else (an unknown type)."""
    media = {"id": str(secrets.randbelow(10**15)), "sha256": secrets.token_hex(32)}
    contents: dict[str, tuple[str, Any]] = {
        "voice": ("audio", {**media, "mime_type": "audio/ogg; codecs=opus", "voice": True}),
        "audio": ("audio", {**media, "mime_type": "audio/mpeg", "voice": False}),
        "image": ("image", {**media, "mime_type": "image/jpeg", "caption": "вот"}),
        "video": ("video", {**media, "mime_type": "video/mp4"}),
        "document": ("document", {**media, "mime_type": "application/pdf", "filename": "a.pdf"}),
        "sticker": ("sticker", {**media, "mime_type": "image/webp", "animated": False}),
        "location": (
            "location",
            {"latitude": 55.7558, "longitude": 37.6173, "name": "Студия", "address": "Москва"},
        ),
        "contacts": ("contacts", [{"name": {"formatted_name": "Мария"}, "phones": []}]),
    }
    wire_kind, content = contents.get(kind, (kind, {}))
    return _inbound(
        wire_kind,
        content,
        wa_id=wa_id,
        at=at,
        name=name,
        wamid=wamid,
        phone_number_id=phone_number_id,
    )


def inbound_voice(*, wa_id: str, at: datetime, wamid: str | None = None) -> dict[str, Any]:
    """A voice note (the Cloud API sends it as ``audio`` with ``voice: true``)."""
    return inbound_media("voice", wa_id=wa_id, at=at, wamid=wamid)


def inbound_image(*, wa_id: str, at: datetime, wamid: str | None = None) -> dict[str, Any]:
    return inbound_media("image", wa_id=wa_id, at=at, wamid=wamid)


def inbound_location(*, wa_id: str, at: datetime, wamid: str | None = None) -> dict[str, Any]:
    return inbound_media("location", wa_id=wa_id, at=at, wamid=wamid)


def status_update(
    *,
    wamid: str,
    status: str,
    recipient: str,
    at: datetime,
    error_code: int | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """A status webhook for a message we sent: ``sent``, ``delivered``, ``read`` or
    ``failed`` (with ``error_code``, default 131026, and its title)."""
    event: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(int(at.timestamp())),
        "recipient_id": recipient,
    }
    if status == "failed":
        code = error_code if error_code is not None else 131026
        known = FAILURES.get(str(code))
        title = known.title if known else "Unknown error"
        event["errors"] = [
            {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": known.details if known else title},
            }
        ]
    else:
        event["conversation"] = {
            "id": secrets.token_hex(16),
            "origin": {"type": "service"},
        }
        event["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    return _envelope({"statuses": [event]}, phone_number_id=phone_number_id)
