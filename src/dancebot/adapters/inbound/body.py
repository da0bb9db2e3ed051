"""Webhook bodies as JSON a platform may really send — or not (issue: malformed bodies).

``read_json`` turns raw bytes into plain JSON values or raises ``MalformedBody``: invalid
JSON or UTF-8, nesting deeper than any real update (``MAX_DEPTH``; Python's decoder itself
gives up near 1,000 levels with a ``RecursionError``), numbers too long to convert. Lone
surrogate code points (``"\\ud800"`` is valid JSON, but no valid text) are replaced with
U+FFFD in every string and key, so the message is still processed and can be serialized.
"""

from __future__ import annotations

import json
from typing import Any

from dancebot.domain.messages import clean_text

# A Telegram update with a reply to a pinned message is ~12 levels deep; WhatsApp's ~8.
MAX_DEPTH = 64


class MalformedBody(ValueError):
    """The body is not JSON we will read; ``reason`` says why (no user data in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_json(raw: bytes) -> Any:
    """Parse and clean a webhook body. Raises ``MalformedBody``."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise MalformedBody("the JSON is nested too deeply") from None
    except ValueError:  # bad JSON, bad UTF-8, an integer literal over Python's digit limit
        raise MalformedBody("the body is not valid JSON") from None
    return clean_json(value)


def clean_json(value: Any) -> Any:
    """``value`` with lone surrogates replaced in every string and key (iteratively: no
    recursion however deep). Raises ``MalformedBody`` past ``MAX_DEPTH`` levels."""
    root: list[Any] = [value]
    stack: list[tuple[list[Any] | dict[str, Any], Any, int]] = [(root, 0, 0)]
    while stack:
        parent, slot, depth = stack.pop()
        item = parent[slot]
        if isinstance(item, str):
            parent[slot] = clean_text(item)
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise MalformedBody(f"the JSON is nested deeper than {MAX_DEPTH} levels")
            children: list[Any] | dict[str, Any]
            if isinstance(item, dict):
                children = {clean_text(str(k)): v for k, v in item.items()}
                keys: list[Any] = list(children)
            else:
                children = list(item)
                keys = list(range(len(children)))
            parent[slot] = children
            stack.extend((children, key, depth + 1) for key in keys)
    return root[0]
