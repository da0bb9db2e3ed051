"""Text normalisation shared by the understanding modules."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case, ё→е, collapsed spaces."""
    return _SPACES.sub(" ", text.lower().replace("ё", "е")).strip()
