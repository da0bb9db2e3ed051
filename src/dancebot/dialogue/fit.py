"""Message length by channel (contract §6: Telegram ≤ 300, WhatsApp ≤ 200 characters).

A reply longer than its channel allows is sent as several messages, cut at line ends, then
at sentence ends, then at spaces — never inside a word; buttons go with the last part.
"""

from __future__ import annotations

import re

from dancebot.dialogue.replies import Reply
from dancebot.domain.messages import Channel

LIMITS = {Channel.TELEGRAM: 300, Channel.WHATSAPP: 200, Channel.CONSOLE: 300}
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def fit(reply: Reply, channel: Channel) -> list[Reply]:
    limit = LIMITS.get(channel, 300)
    if len(reply.text) <= limit:
        return [reply]
    parts = _pack(_pieces(reply.text, limit), limit)
    return [Reply(p) for p in parts[:-1]] + [Reply(parts[-1], reply.buttons)]


def _pieces(text: str, limit: int) -> list[tuple[str, str]]:
    """(piece, separator that followed it) — lines, or sentences/words of over-long lines."""
    pieces: list[tuple[str, str]] = []
    for line in text.split("\n"):
        if len(line) <= limit:
            pieces.append((line, "\n"))
            continue
        for sentence in _SENTENCE_END.split(line):
            if len(sentence) <= limit:
                pieces.append((sentence, " "))
            else:
                pieces += [(word, " ") for word in sentence.split(" ")]
    return pieces


def _pack(pieces: list[tuple[str, str]], limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    separator = ""
    for piece, after in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = piece[:limit]
        separator = after
    if current:
        parts.append(current)
    return parts
