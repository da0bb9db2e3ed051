"""X-Hub-Signature-256 and the GET subscription handshake (contract §19)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from dancebot.adapters.channels.whatsapp.inbound import (
    parse_webhook,
    verify_signature,
    verify_subscription,
)
from dancebot.testing.fake_whatsapp import inbound_text, sign, webhook_body

SECRET = "app-secret-123"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_a_body_signed_with_the_app_secret_is_accepted() -> None:
    header = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert verify_signature(BODY, header, SECRET) is True


def test_the_fake_signs_like_meta() -> None:
    assert sign(BODY, SECRET) == (
        "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    )


def test_upper_case_hex_is_accepted() -> None:
    header = sign(BODY, SECRET)
    assert verify_signature(BODY, "sha256=" + header[7:].upper(), SECRET) is True


def test_a_signature_made_with_another_secret_is_refused() -> None:
    assert verify_signature(BODY, sign(BODY, "other-secret"), SECRET) is False


def test_a_tampered_body_is_refused() -> None:
    header = sign(BODY, SECRET)
    assert verify_signature(BODY.replace(b"entry", b"entrx"), header, SECRET) is False


def test_a_body_re_encoded_is_refused() -> None:
    # The signature covers the exact bytes: parsing and re-dumping the JSON breaks it.
    body = b'{"text":"\\u041f\\u0440\\u0438\\u0432\\u0435\\u0442"}'
    header = sign(body, SECRET)
    assert verify_signature('{"text":"Привет"}'.encode(), header, SECRET) is False
    assert verify_signature(body, header, SECRET) is True


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha1=" + "0" * 40,
        "sha256" + "0" * 64,
        "sha256=",
        "sha256=not-hex",
        "sha256=" + "0" * 64,
        "sha256=" + "й" * 64,
    ],
)
def test_a_missing_or_malformed_header_is_refused(header: str | None) -> None:
    assert verify_signature(BODY, header, SECRET) is False


def test_an_empty_app_secret_accepts_nothing() -> None:
    assert verify_signature(BODY, sign(BODY, ""), "") is False


def test_subscription_with_our_token_echoes_the_challenge() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "vt-1", "hub.challenge": "1158201444"}
    assert verify_subscription(params, verify_token="vt-1") == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "vt-1", "hub.challenge": "1"},
        {"hub.verify_token": "vt-1", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "vt-1"},
        {"hub.mode": "subscribe", "hub.verify_token": "vt-1й", "hub.challenge": "1"},
    ],
)
def test_subscription_without_mode_token_or_challenge_is_refused(params: dict[str, str]) -> None:
    assert verify_subscription(params, verify_token="vt-1") is None


def test_subscription_with_no_token_configured_is_refused() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    assert verify_subscription(params, verify_token="") is None


def test_a_built_webhook_signed_and_posted_bytes_verify_and_parse() -> None:
    at = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    body = webhook_body(inbound_text(wa_id="79991234567", text="Привет 💃", at=at))
    assert body.isascii()  # Meta escapes non-ASCII; the signature covers these bytes
    header = sign(body, SECRET)
    assert verify_signature(body, header, SECRET) is True
    [message] = parse_webhook(json.loads(body), now=at).messages
    assert message.text == "Привет 💃"
