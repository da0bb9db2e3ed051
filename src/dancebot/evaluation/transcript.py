"""Messages and CRM state as JSON for ``--transcripts`` (times in the studio's time zone)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from dancebot.domain.messages import OutboundMessage, UnifiedMessage


def inbound_json(message: UnifiedMessage, tz: tzinfo) -> dict[str, Any]:
    return {
        "channel": message.channel.value,
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "type": message.message_type.value,
        "text": message.text,
        "is_edit": message.is_edit,
        "sender_name": message.sender_name,
        "sender_phone": message.sender_phone,
        "timestamp": message.timestamp.astimezone(tz).isoformat(),
    }


def outbound_json(message: OutboundMessage, at: datetime, tz: tzinfo) -> dict[str, Any]:
    return {
        "channel": message.channel.value,
        "chat_id": message.chat_id,
        "text": message.text,
        "buttons": [{"title": b.title, "payload": b.value} for b in message.buttons],
        "at": at.astimezone(tz).isoformat(),
    }


def crm_state(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The CRM's reservations (deleted ones included) and clients at the end of a run."""
    return {
        "timezone": snapshot.get("timezone"),
        "reservations": list(snapshot.get("reservation", [])),
        "clients": list(snapshot.get("client", [])),
    }
