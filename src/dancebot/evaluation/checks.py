"""The ``expect`` / ``expect_outbound`` checks of SCENARIOS.md, as pure functions.

Text checks are case-insensitive substring checks on the step's bot messages joined by
newlines; ``reply_matches`` is a regex search with IGNORECASE and DOTALL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dancebot.domain.messages import OutboundMessage
from dancebot.evaluation.model import Expect, ExpectOutbound


@dataclass(frozen=True)
class Observed:
    """What one step (or an ``expect_outbound`` window) produced."""

    messages: Sequence[OutboundMessage]  # to the user
    admin_messages: Sequence[str]
    state: str  # the FSM state after the step

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.messages)

    @property
    def last_buttons(self) -> list[str]:
        """Titles of the last message in the window that had buttons."""
        with_buttons = [m for m in self.messages if m.buttons]
        return [b.title for b in with_buttons[-1].buttons] if with_buttons else []


@dataclass(frozen=True)
class CheckFailure:
    check: str
    expected: str
    actual: str


def evaluate(expect: Expect, seen: Observed) -> list[CheckFailure]:
    """Every check of ``expect`` that ``seen`` fails; empty when all pass."""
    failures: list[CheckFailure] = []
    text = seen.text.casefold()
    reply = seen.text or "(no reply)"

    def fail(check: str, expected: str, actual: str = reply) -> None:
        failures.append(CheckFailure(check, expected, actual))

    if expect.reply_contains is not None:
        missing = [s for s in expect.reply_contains if s.casefold() not in text]
        if missing:
            fail("reply_contains", f"all of {expect.reply_contains} (missing: {missing})")
    if expect.reply_contains_any is not None and not any(
        s.casefold() in text for s in expect.reply_contains_any
    ):
        fail("reply_contains_any", f"any of {expect.reply_contains_any}")
    if expect.reply_not_contains is not None:
        present = [s for s in expect.reply_not_contains if s.casefold() in text]
        if present:
            fail("reply_not_contains", f"none of {expect.reply_not_contains} (found: {present})")
    if expect.reply_matches is not None and not re.search(
        expect.reply_matches, seen.text, re.IGNORECASE | re.DOTALL
    ):
        fail("reply_matches", f"/{expect.reply_matches}/")
    if isinstance(expect, ExpectOutbound) and expect.contains is not None:
        missing = [s for s in expect.contains if s.casefold() not in text]
        if missing:
            fail("contains", f"all of {expect.contains} (missing: {missing})")
    failures += _structural(expect, seen, reply)
    return failures


def _structural(expect: Expect, seen: Observed, reply: str) -> list[CheckFailure]:
    failures: list[CheckFailure] = []
    if expect.buttons_contain is not None:
        offered = seen.last_buttons
        titles = {t.strip().casefold() for t in offered}
        missing = [b for b in expect.buttons_contain if b.strip().casefold() not in titles]
        if missing:
            failures.append(
                CheckFailure(
                    "buttons_contain",
                    f"buttons {expect.buttons_contain} (missing: {missing})",
                    f"buttons offered: {offered} — {reply}",
                )
            )
    if expect.no_reply is not None and expect.no_reply != (not seen.messages):
        wanted = "no message to the user" if expect.no_reply else "at least one reply"
        failures.append(CheckFailure("no_reply", wanted, reply))
    if expect.state is not None and expect.state != seen.state:
        failures.append(CheckFailure("state", expect.state, f"state {seen.state} — {reply}"))
    if expect.handoff is not None and expect.handoff != bool(seen.admin_messages):
        wanted = "a message to the admin chat" if expect.handoff else "nothing to the admin chat"
        admin = " | ".join(seen.admin_messages) or "(admin chat: nothing)"
        failures.append(CheckFailure("handoff", wanted, f"{admin} — {reply}"))
    return failures
