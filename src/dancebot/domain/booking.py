"""Booking policies that do not depend on any adapter."""

from __future__ import annotations

import hashlib
from datetime import date

IDEMPOTENCY_TTL_SECONDS = 600  # contract §10: the lock lives 10 minutes


def booking_fingerprint(phone_e164: str, schedule_id: int, lesson_date: date) -> str:
    """The booking's identity: ``sha256(phone + schedule_id + lesson_date)`` as 64 hex digits.

    Exactly: ``sha256(f"{phone_e164}|{schedule_id}|{lesson_date.isoformat()}".encode())``,
    e.g. ``"+79991234567|100|2026-03-04"``. The ``|`` separators keep different inputs from
    concatenating to the same text (``+7999123456`` + ``71`` vs ``+79991234567`` + ``1``).
    The date is part of it because a schedule is a weekly rule: without the date a client
    could never book the same weekly class twice (DESIGN §7 corrects the contract here).
    Callers pass the normalised E.164 phone.
    """
    text = f"{phone_e164.strip()}|{schedule_id}|{lesson_date.isoformat()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
