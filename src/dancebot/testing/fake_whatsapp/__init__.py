"""A fake WhatsApp Cloud API for tests and benchmarks, and builders of signed inbound webhooks.

``create_fake_whatsapp_app(state, token=…, phone_number_id=…)`` is a Starlette app answering
``POST /{version}/{phone_number_id}/messages`` (and without the version) like the Graph API;
use it in-process (``httpx.ASGITransport``) or on a real port (``dancebot.testing.serve``).
``FakeWhatsApp`` records every request and accepted message, keeps per-client 24 h windows
and fails on demand (``fail_next``).

Formats it follows, as Meta documents them (developers.facebook.com/documentation/
business-messaging/whatsapp/…, read for this work):
- requests: ``messages/text-messages``, ``messages/interactive-reply-buttons-messages``
  (1–3 ``reply`` buttons, title ≤ 20, id ≤ 256, titles and ids unique),
  ``messages/interactive-list-messages`` (button label ≤ 20, ≤ 10 sections and ≤ 10 rows in
  all, row title ≤ 24, description ≤ 72, id ≤ 200), ``messages/template-messages``;
- success: ``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
  "messages": [{"id": "wamid…"}]}`` (templates add ``"message_status": "accepted"``);
- errors (``support/error-codes``): ``{"error": {"message": "(#CODE) Title", "type":
  "OAuthException", "code", "error_data": {"messaging_product": "whatsapp", "details"},
  "fbtrace_id"}}``; a bad or missing token is HTTP 401 code 190;
- webhooks (``webhooks/reference/messages`` and ``…/messages/status``): ``inbound_*`` and
  ``status_update``; ``X-Hub-Signature-256: sha256=<HMAC-SHA256(app secret, raw body)>``.

Simplifications, said plainly: the real API usually reports 131047 (window closed) in a
``failed`` status webhook after accepting the POST; this fake answers it synchronously when
``enforce_window`` is on. Only the kinds DanceBot sends are validated (text, interactive
button/list, template); other message types are refused with code 100.
"""

from __future__ import annotations

from dancebot.testing.fake_whatsapp.graph import FAILURE_KINDS, FAILURES, GraphError
from dancebot.testing.fake_whatsapp.server import (
    FakeWhatsApp,
    RecordedRequest,
    SentMessage,
    create_fake_whatsapp_app,
)
from dancebot.testing.fake_whatsapp.validation import validate_message
from dancebot.testing.fake_whatsapp.webhooks import (
    DEFAULT_PHONE_NUMBER_ID,
    inbound_button_reply,
    inbound_image,
    inbound_list_reply,
    inbound_location,
    inbound_media,
    inbound_template_button,
    inbound_text,
    inbound_voice,
    new_wamid,
    sign,
    status_update,
    webhook_body,
)

__all__ = [
    "DEFAULT_PHONE_NUMBER_ID",
    "FAILURES",
    "FAILURE_KINDS",
    "FakeWhatsApp",
    "GraphError",
    "RecordedRequest",
    "SentMessage",
    "create_fake_whatsapp_app",
    "inbound_button_reply",
    "inbound_image",
    "inbound_list_reply",
    "inbound_location",
    "inbound_media",
    "inbound_template_button",
    "inbound_text",
    "inbound_voice",
    "new_wamid",
    "sign",
    "status_update",
    "validate_message",
    "webhook_body",
]
