"""Reply buttons → inline keyboard: one per row, payload as callback data, 64-byte limit."""

from __future__ import annotations

import pytest

from dancebot.adapters.channels.telegram.botapi import redact_token
from dancebot.adapters.channels.telegram.keyboard import (
    CallbackDataTooLong,
    callback_data,
    inline_keyboard,
)
from dancebot.domain.messages import Button
from dancebot.ports.channels import ChannelRejected


def test_no_buttons_no_keyboard() -> None:
    assert inline_keyboard(()) is None


def test_one_button_per_row_with_payload_or_title() -> None:
    markup = inline_keyboard(
        (Button(title="Записаться на пятницу 19:00", payload="book:881"), Button(title="Нет"))
    )
    assert markup == {
        "inline_keyboard": [
            [{"text": "Записаться на пятницу 19:00", "callback_data": "book:881"}],
            [{"text": "Нет", "callback_data": "Нет"}],
        ]
    }


def test_payload_limit_counts_utf8_bytes() -> None:
    assert callback_data(Button(title="x", payload="я" * 32)) == "я" * 32  # 64 bytes
    with pytest.raises(CallbackDataTooLong):
        callback_data(Button(title="x", payload="я" * 33))  # 66 bytes, 33 characters


def test_too_long_payload_is_a_value_error_and_a_rejection() -> None:
    with pytest.raises(ValueError, match="1-64 bytes, got 65") as caught:
        inline_keyboard((Button(title="ok", payload="p"), Button(title="x", payload="a" * 65)))
    assert isinstance(caught.value, ChannelRejected)


def test_empty_payload_is_refused() -> None:
    with pytest.raises(CallbackDataTooLong):
        callback_data(Button(title="x", payload=""))


def test_redact_token_cuts_the_token_and_bot_urls() -> None:
    token = "123456:ABC-secret"
    text = (
        f"ClientError: https://api.telegram.org/bot{token}/sendMessage failed; "
        "other url http://127.0.0.1:8081/bot999:zzz/getUpdates; token 123456:ABC-secret"
    )
    redacted = redact_token(text, token)
    assert token not in redacted
    assert "999:zzz" not in redacted
    assert "/bot***/sendMessage" in redacted
    assert "/bot***/getUpdates" in redacted
