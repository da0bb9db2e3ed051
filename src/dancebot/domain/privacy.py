"""Phone masking for what storage writes down for people to read (audit rows, log lines).

Contract §18: a phone is shown as ``+7999****567`` — country code and operator code kept, the
last three digits kept, the rest hidden. Storage masks defensively even when the caller was
supposed to have masked already: masking twice is harmless.
"""

from __future__ import annotations

import re

# A phone inside free text: an international number (+ and 10–15 digits) or a Russian one
# written as 8/7 followed by ten digits; spaces, dashes and brackets may separate digits.
_PHONE_IN_TEXT = re.compile(
    r"(?<![\d+])(?:\+\d(?:[\s\-()]*\d){9,14}|[78](?:[\s\-()]*\d){10})(?!\d)"
)
_ALREADY_MASKED = re.compile(r"\+?\d{0,4}\*{4}\d{0,3}")
_KEEP_HEAD = 4  # "7999": country + operator code of a Russian mobile
_KEEP_TAIL = 3


def mask_phone(phone: str | None) -> str:
    """``+79991234567`` → ``+7999****567``. Anything with fewer than 10 digits is hidden
    entirely (``****``), since it cannot be told apart from a short secret; None → ``-``."""
    if phone is None:
        return "-"
    if _ALREADY_MASKED.fullmatch(phone.strip()):
        return phone.strip()
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 10:
        return "****"
    if phone.lstrip().startswith("8") and len(digits) == 11:
        digits = "7" + digits[1:]  # Russian trunk prefix 8 means +7
    return f"+{digits[:_KEEP_HEAD]}****{digits[-_KEEP_TAIL:]}"


def mask_phones_in_text(text: str) -> str:
    """Every phone-looking number in ``text`` masked; the rest left as it is."""
    return _PHONE_IN_TEXT.sub(lambda match: mask_phone(match.group(0)), text)


def mask_phones_in_value(value: object, *, key: str | None = None) -> object:
    """A JSON-like value (dicts, lists, scalars) with phones masked: every string under a key
    that names a phone is masked as a phone, other strings have phones found in them masked.
    Other types pass through unchanged."""
    if isinstance(value, dict):
        return {k: mask_phones_in_value(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_phones_in_value(item, key=key) for item in value]
    if isinstance(value, str):
        if key is not None and "phone" in key.lower():
            return mask_phone(value)
        return mask_phones_in_text(value)
    return value


# Secrets that reach text by accident: a Bot API URL carries the bot token in its path
# (".../bot123456:AAH.../sendMessage"), a bare bot token, an Authorization header's value,
# a key or token in a query string.
_TOKEN_IN_BOT_URL = re.compile(r"(?<=/bot)[^/\s\"']+")
_BARE_BOT_TOKEN = re.compile(r"\b\d{5,12}:[A-Za-z0-9_-]{20,}")
_AUTH_HEADER_VALUE = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_SECRET_QUERY = re.compile(
    r"\b(access_token|token|api_key|apikey|key|secret|password|hub\.verify_token)=[^&\s\"']+",
    re.IGNORECASE,
)


def redact_secrets_in_text(text: str) -> str:
    """``text`` with bot tokens, Authorization values and secret query parameters cut out."""
    text = _TOKEN_IN_BOT_URL.sub("***", text)
    text = _BARE_BOT_TOKEN.sub("***", text)
    text = _AUTH_HEADER_VALUE.sub(lambda m: f"{m.group(1)} ***", text)
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", text)


def mask_sensitive_text(text: str) -> str:
    """Secrets cut out and phones masked: what a rendered log line goes through last."""
    return mask_phones_in_text(redact_secrets_in_text(text))
