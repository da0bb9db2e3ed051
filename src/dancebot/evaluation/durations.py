"""Durations as scenario files write them: ``90s``, ``15m``, ``2h``, ``3d``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

# Units in falling order, each at most once; spaces between parts are allowed ("1h 30m").
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> timedelta:
    """``"1h30m"`` → ``timedelta(hours=1, minutes=30)``.

    Units: ``d`` days, ``h`` hours, ``m`` minutes, ``s`` seconds, largest first, each at most
    once; case and spaces do not matter. Raises ``ValueError`` on anything else, including a
    bare number (its unit would be a guess) and an empty string.
    """
    compact = re.sub(r"\s+", "", str(text)).lower()
    match = _DURATION.fullmatch(compact)
    if not compact or match is None:
        raise ValueError(f"{text!r} is not a duration: write it like 90s, 15m, 2h, 3d or 1h30m")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
