"""``WhatsAppSender``: the ``ChannelSender`` port over the WhatsApp Cloud API, with httpx.

One POST ``{api_base}/{phone_number_id}/messages`` per message, in the shapes Meta documents
(developers.facebook.com/documentation/business-messaging/whatsapp/messages/ text-messages,
interactive-reply-buttons-messages, interactive-list-messages, template-messages; errors:
…/whatsapp/support/error-codes). The answer becomes a ``Delivery`` or a ``ChannelError``; the
outbound worker decides about retries, this class never retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import structlog

from dancebot.adapters.channels.whatsapp.templates import (
    TEMPLATES,
    TemplateError,
    clean_params,
    template_for,
)
from dancebot.domain.messages import Button, Channel, OutboundMessage, TemplateCall
from dancebot.domain.privacy import mask_phone, mask_phones_in_text
from dancebot.ports.channels import (
    ChannelError,
    ChannelRateLimited,
    ChannelRejected,
    ChannelUnavailable,
    Delivery,
    OutsideWindow,
)

log = structlog.get_logger(__name__)

MAX_REPLY_BUTTONS = 3  # an interactive "button" message takes 1–3 reply buttons
MAX_LIST_ROWS = 10  # an interactive "list" takes at most 10 rows in all sections
REPLY_TITLE_MAX = 20
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
DEFAULT_LIST_BUTTON = "Выбрать"

# Graph/Cloud API error codes by what the worker should do about them.
RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131056})  # app, WABA, throughput, pair limits
OUTSIDE_WINDOW_CODE = 131047  # re-engagement: > 24 h since the client last wrote
TEMPORARY_CODES = frozenset({1, 2, 131000, 131016})  # unknown, service, went wrong, unavailable
_MAX_ERROR_TEXT = 300


class WhatsAppSender:
    """Sends ``OutboundMessage``s to WhatsApp chats (``chat_id`` = the client's wa_id).

    Buttons: 1–3 become reply buttons (titles shortened to 20 characters), 4–10 a list with
    one section (row titles shortened to 24, the full title kept as the row's description),
    more than 10 the first 10 (a warning is logged). With ``message.template`` set, the
    template goes instead of ``text`` (``text`` is what the template says once filled in).

    ``send`` raises ``ChannelRateLimited`` (HTTP 429, codes 4/80007/130429/131056),
    ``OutsideWindow`` (131047), ``ChannelUnavailable`` (5xx, timeouts, no connection, codes
    1/2/131000/131016) or ``ChannelRejected`` (any other 4xx, e.g. 131026 undeliverable,
    132xxx template errors, 190 token; and a template call that does not fit its approved
    template). The token is never logged; phone numbers are logged masked.
    """

    channel: Channel = Channel.WHATSAPP

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token: str,
        phone_number_id: str,
        api_base: str,
        timeout: float = 10,
        list_button_label: str = DEFAULT_LIST_BUTTON,
    ) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {token}"}
        self._url = f"{api_base.rstrip('/')}/{phone_number_id}/messages"
        self._timeout = timeout
        self._list_button = list_button_label

    async def send(self, message: OutboundMessage) -> Delivery:
        """Send one message; the wamid WhatsApp gave it comes back in the ``Delivery``."""
        payload = self.payload_for(message)
        chat = mask_phone(message.chat_id)
        try:
            response = await self._http.post(
                self._url, json=payload, headers=self._headers, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            log.warning("whatsapp_send_timeout", chat=chat, trace_id=message.trace_id)
            raise ChannelUnavailable(f"WhatsApp did not answer ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            log.warning("whatsapp_send_unreachable", chat=chat, trace_id=message.trace_id)
            raise ChannelUnavailable(f"WhatsApp unreachable ({type(exc).__name__})") from exc
        if response.is_success:
            wamid = _wamid(response)
            log.info("whatsapp_sent", chat=chat, wamid=wamid, trace_id=message.trace_id)
            return Delivery(channel_message_id=wamid)
        error = error_for(response)
        log.warning(
            "whatsapp_send_failed",
            chat=chat,
            status=response.status_code,
            error=type(error).__name__,
            detail=str(error),
            trace_id=message.trace_id,
        )
        raise error

    async def typing(self, chat_id: str) -> None:
        """Nothing: the Cloud API shows "typing…" only together with marking a received
        message read, which needs that message's wamid; the port gives only the chat.
        Never raises."""
        return None

    def payload_for(self, message: OutboundMessage) -> dict[str, Any]:
        """The JSON body for ``message``. Raises ``ChannelRejected`` for a template call that
        does not fit the approved template of that name."""
        base: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.chat_id,
        }
        if message.template is not None:
            return base | _template_payload(message.template)
        if not message.buttons:
            return base | {"type": "text", "text": {"preview_url": False, "body": message.text}}
        buttons = message.buttons
        if len(buttons) > MAX_LIST_ROWS:
            log.warning(
                "whatsapp_buttons_dropped",
                chat=mask_phone(message.chat_id),
                given=len(buttons),
                kept=MAX_LIST_ROWS,
            )
            buttons = buttons[:MAX_LIST_ROWS]
        if len(buttons) <= MAX_REPLY_BUTTONS:
            interactive = _reply_buttons(message.text, buttons)
        else:
            interactive = _list(message.text, buttons, label=self._list_button)
        return base | {"type": "interactive", "interactive": interactive}


def _reply_buttons(text: str, buttons: Sequence[Button]) -> dict[str, Any]:
    titles = unique_titles([b.title for b in buttons], limit=REPLY_TITLE_MAX)
    return {
        "type": "button",
        "body": {"text": text},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": button.value, "title": title}}
                for button, title in zip(buttons, titles, strict=True)
            ]
        },
    }


def _list(text: str, buttons: Sequence[Button], *, label: str) -> dict[str, Any]:
    titles = unique_titles([b.title for b in buttons], limit=ROW_TITLE_MAX)
    rows = []
    for button, title in zip(buttons, titles, strict=True):
        row = {"id": button.value, "title": title}
        if title != button.title:  # shortened: the whole title still shows underneath
            row["description"] = shorten(button.title, ROW_DESCRIPTION_MAX)
        rows.append(row)
    return {
        "type": "list",
        "body": {"text": text},
        "action": {"button": shorten(label, REPLY_TITLE_MAX), "sections": [{"rows": rows}]},
    }


def _template_payload(call: TemplateCall) -> dict[str, Any]:
    if call.name in TEMPLATES:  # ours: check it before Meta answers 132000
        try:
            template_for(call)
        except TemplateError as exc:
            raise ChannelRejected(str(exc)) from exc
    template: dict[str, Any] = {"name": call.name, "language": {"code": call.language}}
    if call.params:
        parameters = [{"type": "text", "text": value} for value in clean_params(call.params)]
        template["components"] = [{"type": "body", "parameters": parameters}]
    return {"type": "template", "template": template}


def shorten(title: str, limit: int) -> str:
    """``title`` cut to ``limit`` characters with "…" when longer."""
    title = title.strip()
    if len(title) <= limit:
        return title
    return title[: limit - 1].rstrip() + "…"


def unique_titles(titles: Sequence[str], *, limit: int) -> list[str]:
    """Each title shortened to ``limit``; WhatsApp refuses two equal titles in one message,
    so a title that shortens into an earlier one gets a number at its end."""
    out: list[str] = []
    for title in titles:
        short = shorten(title, limit)
        number = 2
        while short in out:
            suffix = f"…{number}"
            short = title.strip()[: limit - len(suffix)].rstrip() + suffix
            number += 1
        out.append(short)
    return out


def error_for(response: httpx.Response) -> ChannelError:
    """The ``ChannelError`` a failed Graph API answer means (see ``WhatsAppSender``)."""
    code, text = _graph_error(response)
    label = f"WhatsApp HTTP {response.status_code}"
    if code is not None:
        label += f" error {code}"
    if text:
        label += f": {text}"
    if response.status_code == 429 or code in RATE_LIMIT_CODES:
        return ChannelRateLimited(label, retry_after=_retry_after(response))
    if code == OUTSIDE_WINDOW_CODE:
        return OutsideWindow(label)
    if response.status_code >= 500 or code in TEMPORARY_CODES:
        return ChannelUnavailable(label)
    return ChannelRejected(label)


def _graph_error(response: httpx.Response) -> tuple[int | None, str]:
    """``error.code`` and a short, phone-masked text from a Graph error body, when there."""
    try:
        body = response.json()
    except ValueError:
        return None, ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, ""
    raw_code = error.get("code")
    code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
    parts = [str(error.get("message") or "")]
    data = error.get("error_data")
    if isinstance(data, dict) and data.get("details"):
        parts.append(str(data["details"]))
    text = mask_phones_in_text(" — ".join(p for p in parts if p))
    return code, text[:_MAX_ERROR_TEXT]


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    try:
        return max(float(raw), 0.0) if raw is not None else None
    except ValueError:
        return None


def _wamid(response: httpx.Response) -> str | None:
    """The wamid of a success answer; None when the body is not the documented shape (the
    message went, so this is not an error)."""
    try:
        body = response.json()
        wamid = body["messages"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        log.warning("whatsapp_success_without_wamid", status=response.status_code)
        return None
    return wamid if isinstance(wamid, str) else None
