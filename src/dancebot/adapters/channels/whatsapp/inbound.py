"""WhatsApp Cloud API webhooks in: the signature, the subscription handshake, and the payload
turned into ``UnifiedMessage``s and delivery statuses.

Formats as Meta documents them (checked 2025, developers.facebook.com/documentation/
business-messaging/whatsapp/webhooks/reference/messages and …/messages/status):
``{"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"field": "messages",
"value": {"metadata", "contacts": [{"profile": {"name"}, "wa_id"}], "messages": [...],
"statuses": [...]}}]}]}``. Nothing here logs; callers log with phones masked.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from dancebot.domain.messages import Channel, MessageType, UnifiedMessage

SIGNATURE_PREFIX = "sha256="

StatusKind = Literal["sent", "delivered", "read", "failed"]
_STATUSES: dict[str, StatusKind] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
}

# Cloud API message types that carry no text for us. "audio" covers voice notes too
# (they come as audio with ``voice: true``); a shared contact card has no type of its own.
_MEDIA_TYPES: dict[str, MessageType] = {
    "image": MessageType.PHOTO,
    "audio": MessageType.VOICE,
    "voice": MessageType.VOICE,
    "video": MessageType.VIDEO,
    "document": MessageType.DOCUMENT,
    "sticker": MessageType.STICKER,
    "location": MessageType.LOCATION,
    "contacts": MessageType.OTHER,
}
_INTERACTIVE_REPLIES = ("button_reply", "list_reply")


class MalformedWebhook(ValueError):
    """The body is not a WhatsApp Business Account webhook we understand; ``reason`` says
    which part is wrong (no phone numbers or message text in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """What happened to a message we sent: ``message_id`` is its wamid, ``recipient`` the
    client's wa_id; ``error_code``/``error_title`` are set only for ``failed``."""

    message_id: str
    status: StatusKind
    recipient: str
    timestamp: datetime
    error_code: int | None = None
    error_title: str | None = None


@dataclass(frozen=True, slots=True)
class WhatsAppBatch:
    """Everything one webhook delivery carried, in payload order."""

    messages: list[UnifiedMessage] = field(default_factory=list)
    statuses: list[StatusEvent] = field(default_factory=list)


def verify_signature(raw_body: bytes, header_value: str | None, app_secret: str) -> bool:
    """Whether ``X-Hub-Signature-256`` (``sha256=<hex>``) is the HMAC-SHA256 of the exact raw
    body under the app secret. A missing or malformed header is False; never raises."""
    if not header_value or not app_secret or not header_value.startswith(SIGNATURE_PREFIX):
        return False
    given = header_value[len(SIGNATURE_PREFIX) :].strip().lower()
    expected = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    # compare_digest on ASCII str: constant time, and non-ASCII input simply fails.
    try:
        return hmac.compare_digest(given, expected)
    except TypeError:
        return False


def verify_subscription(params: Mapping[str, str], *, verify_token: str) -> str | None:
    """The GET handshake Meta makes when the webhook URL is registered: with
    ``hub.mode=subscribe`` and ``hub.verify_token`` equal to ours, the ``hub.challenge`` to
    echo back; otherwise None (answer 403)."""
    if params.get("hub.mode") != "subscribe" or not verify_token:
        return None
    given = params.get("hub.verify_token", "").encode("utf-8")
    if not hmac.compare_digest(given, verify_token.encode("utf-8")):
        return None
    challenge = params.get("hub.challenge")
    return challenge if challenge else None


def parse_webhook(payload: object, *, now: datetime) -> WhatsAppBatch:
    """Messages and statuses of one webhook body (already JSON-decoded).

    ``now`` stands in for a message or status whose timestamp is absent (Meta always sends
    one; this keeps a partial payload usable). Raises ``MalformedWebhook`` when the body is
    not this shape; a change with neither messages nor statuses (e.g. only ``errors``) adds
    nothing. Unknown message types become ``MessageType.OTHER``; unknown statuses (``played``,
    ``deleted``…) are skipped, since Meta adds new ones over time.
    """
    if not isinstance(payload, dict):
        raise MalformedWebhook("the body is not a JSON object")
    if payload.get("object") != "whatsapp_business_account":
        raise MalformedWebhook("object is not whatsapp_business_account")
    batch = WhatsAppBatch()
    for entry in _list(payload, "entry", where="body"):
        for change in _list(_dict(entry, "entry"), "changes", where="entry"):
            value = _dict(_dict(change, "change").get("value"), "change.value")
            names = _profile_names(value)
            for message in _list(value, "messages", where="value", required=False):
                batch.messages.append(_message(_dict(message, "message"), names, now=now))
            for status in _list(value, "statuses", where="value", required=False):
                event = _status(_dict(status, "status"), now=now)
                if event is not None:
                    batch.statuses.append(event)
    return batch


def _message(raw: dict[str, Any], names: dict[str, str], *, now: datetime) -> UnifiedMessage:
    sender = _digits(raw.get("from"), "message.from")
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise MalformedWebhook("message.type is missing")
    text, message_type = _content(kind, raw)
    return UnifiedMessage(
        channel=Channel.WHATSAPP,
        chat_id=sender,
        message_id=_text(raw.get("id"), "message.id"),
        timestamp=_timestamp(raw.get("timestamp"), now=now, where="message.timestamp"),
        text=text,
        message_type=message_type,
        sender_phone=f"+{sender}",
        sender_name=names.get(sender),
    )


def _content(kind: str, raw: dict[str, Any]) -> tuple[str | None, MessageType]:
    """The text (or button payload) and our message type for one Cloud API message type."""
    if kind == "text":
        return _text(_dict(raw.get("text"), "message.text").get("body"), "text.body"), (
            MessageType.TEXT
        )
    if kind == "interactive":
        interactive = _dict(raw.get("interactive"), "message.interactive")
        reply_kind = interactive.get("type")
        if reply_kind in _INTERACTIVE_REPLIES:
            reply = _dict(interactive.get(reply_kind), f"interactive.{reply_kind}")
            return _text(reply.get("id"), f"{reply_kind}.id"), MessageType.BUTTON
        return None, MessageType.OTHER  # flows (nfm_reply) and the like
    if kind == "button":
        # A quick-reply button of a template: ``payload`` is ours, ``text`` what it showed.
        button = _dict(raw.get("button"), "message.button")
        payload = button.get("payload") or button.get("text")
        return _text(payload, "button.payload"), MessageType.BUTTON
    return None, _MEDIA_TYPES.get(kind, MessageType.OTHER)


def _status(raw: dict[str, Any], *, now: datetime) -> StatusEvent | None:
    raw_status = raw.get("status")
    if not isinstance(raw_status, str):
        raise MalformedWebhook("status.status is missing")
    status = _STATUSES.get(raw_status)
    if status is None:
        return None
    code: int | None = None
    title: str | None = None
    errors = raw.get("errors")
    if status == "failed" and isinstance(errors, list) and errors:
        first = _dict(errors[0], "status.errors[0]")
        raw_code = first.get("code")
        code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        raw_title = first.get("title") or first.get("message")
        title = raw_title if isinstance(raw_title, str) else None
    return StatusEvent(
        message_id=_text(raw.get("id"), "status.id"),
        status=status,
        recipient=_digits(raw.get("recipient_id"), "status.recipient_id"),
        timestamp=_timestamp(raw.get("timestamp"), now=now, where="status.timestamp"),
        error_code=code,
        error_title=title,
    )


def _profile_names(value: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for item in _list(value, "contacts", where="value", required=False):
        contact = _dict(item, "contact")
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        wa_id = contact.get("wa_id")
        if isinstance(wa_id, str) and isinstance(name, str) and name.strip():
            names[wa_id] = name.strip()
    return names


def _list(container: dict[str, Any], key: str, *, where: str, required: bool = True) -> list[Any]:
    value = container.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise MalformedWebhook(f"{where}.{key} is not a list")
    return value


def _dict(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedWebhook(f"{where} is not an object")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise MalformedWebhook(f"{where} is missing or not a string")
    return value


def _digits(value: object, where: str) -> str:
    """A wa_id: the phone number's digits, no "+"."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise MalformedWebhook(f"{where} is not a wa_id (digits)")
    return value


def _timestamp(value: object, *, now: datetime, where: str) -> datetime:
    """Unix seconds, as digits or a number; more than 12 digits is no Unix time (and would
    not even convert: Python refuses to read integers of thousands of digits)."""
    if value is None:
        return now
    seconds: int | None = None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        seconds = int(value)
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        seconds = value
    if seconds is not None:
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            pass
    raise MalformedWebhook(f"{where} is not a Unix time")
