"""The LLM port. Nothing uses it yet: the AI layer (DESIGN §5) plugs in here; with no LLM
the engine runs on the deterministic NLU (degradation level L2 and the embedded default)."""

from __future__ import annotations

from typing import Protocol


class LLM(Protocol):
    async def complete(self, *, system: str, user: str, trace_id: str) -> str | None:
        """The model's answer, or None when it failed (never raises to the engine)."""
        ...
