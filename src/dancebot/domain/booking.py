"""Booking policies that do not depend on any adapter."""

from __future__ import annotations

import hashlib
from datetime import date

IDEMPOTENCY_TTL_SECONDS = 600  # contract §10: the lock lives 10 minutes


def booking_fingerprint(phone_e164: str, schedule_id: int, lesson_date: date) -> str:
    """sha256 of ``phone + schedule_id + lesson_date`` (DESIGN §7 corrects the contract's
    ``phone + schedule_id``: a weekly class is booked once per date, not once ever).

    The exact input is ``f"{phone_e164}{schedule_id}{lesson_date.isoformat()}"``, e.g.
    ``"+79991234567" "100" "2026-03-04"`` concatenated.
    """
    raw = f"{phone_e164}{schedule_id}{lesson_date.isoformat()}"
    return hashlib.sha256(raw.encode()).hexdigest()
