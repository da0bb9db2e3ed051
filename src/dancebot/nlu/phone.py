"""Phone numbers in free text → E.164 (RU by default), and masking for logs."""

from __future__ import annotations

import re

import phonenumbers

from dancebot.domain.privacy import mask_phone

__all__ = [
    "display_phone",
    "find_phone",
    "looks_like_phone_attempt",
    "mask_phone",
    "normalize_phone",
]

# A run of digits with the separators people type: +7 (999) 123-45-67, 8 999 1234567, 89991234567
_CANDIDATE = re.compile(r"(?:\+|\b)[\d][\d\s()\-]{8,18}\d")


def find_phone(text: str, *, region: str = "RU") -> str | None:
    """The first valid phone number in ``text`` as E.164 (``+79991234567``), or None."""
    for match in _CANDIDATE.finditer(text):
        e164 = normalize_phone(match.group(0), region=region)
        if e164:
            return e164
    return None


def looks_like_phone_attempt(text: str) -> bool:
    """True when the text holds a run of 5+ digits: the client tried to give a number."""
    return len(re.sub(r"\D", "", text)) >= 5


def normalize_phone(raw: str, *, region: str = "RU") -> str | None:
    """E.164 for a valid number, else None. "89991234567" and "+7 999 123-45-67" agree."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """``+7 999 123-45-67`` for a client to read."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def strip_phone(text: str, *, region: str = "RU") -> str:
    """``text`` without the valid phone numbers in it ("Света +79145550105" → "Света ")."""
    return _CANDIDATE.sub(
        lambda m: " " if normalize_phone(m.group(0), region=region) else m.group(0), text
    )
