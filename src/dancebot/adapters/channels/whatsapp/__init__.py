"""The WhatsApp channel over Meta's Cloud API (httpx, no SDK): webhooks in (``inbound``),
messages out (``sender``), the 24 h service window (``window``) and the approved templates
(``templates``)."""

from __future__ import annotations

from dancebot.adapters.channels.whatsapp.inbound import (
    MalformedWebhook,
    StatusEvent,
    WhatsAppBatch,
    parse_webhook,
    verify_signature,
    verify_subscription,
)
from dancebot.adapters.channels.whatsapp.sender import WhatsAppSender
from dancebot.adapters.channels.whatsapp.templates import (
    TEMPLATES,
    TemplateError,
    WhatsAppTemplate,
    render_template,
    template_for,
)
from dancebot.adapters.channels.whatsapp.window import ConversationWindow

__all__ = [
    "TEMPLATES",
    "ConversationWindow",
    "MalformedWebhook",
    "StatusEvent",
    "TemplateError",
    "WhatsAppBatch",
    "WhatsAppSender",
    "WhatsAppTemplate",
    "parse_webhook",
    "render_template",
    "template_for",
    "verify_signature",
    "verify_subscription",
]
