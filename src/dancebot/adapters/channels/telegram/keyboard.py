"""Reply buttons → a Telegram inline keyboard (one button per row, so long Russian titles fit).

A button's ``value`` (its payload, or its title) travels as ``callback_data``, which Telegram
limits to 1–64 bytes. Our payloads are short identifiers by design, so a longer one is a
programming error: it is refused (``CallbackDataTooLong``) rather than shortened or stored
elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dancebot.domain.messages import Button
from dancebot.ports.channels import ChannelRejected

MAX_CALLBACK_DATA_BYTES = 64


class CallbackDataTooLong(ChannelRejected, ValueError):
    """A button payload over 64 bytes (UTF-8). A ``ValueError`` for the programmer, and a
    ``ChannelRejected`` so the outbound worker dead-letters the message instead of crashing."""


def callback_data(button: Button) -> str:
    """The button's payload as Telegram callback data. Raises ``CallbackDataTooLong``."""
    value = button.value
    size = len(value.encode())
    if not 0 < size <= MAX_CALLBACK_DATA_BYTES:
        raise CallbackDataTooLong(
            f"button payload must be 1-{MAX_CALLBACK_DATA_BYTES} bytes, got {size}"
        )
    return value


def inline_keyboard(buttons: Sequence[Button]) -> dict[str, Any] | None:
    """The ``reply_markup`` of sendMessage (an ``InlineKeyboardMarkup``): one button per
    row; None when there are no buttons. Raises ``CallbackDataTooLong``."""
    if not buttons:
        return None
    rows = [[{"text": button.title, "callback_data": callback_data(button)}] for button in buttons]
    return {"inline_keyboard": rows}
