"""Moving a virtual clock forward with everything due on the way run in time order."""

from __future__ import annotations

from datetime import timedelta

from dancebot.adapters.clock import VirtualClock
from dancebot.entrypoints.bootstrap import Services

MAX_STEPS = 10_000  # a due item that never clears must not hang a test run


async def advance(services: Services, clock: VirtualClock, delta: timedelta) -> int:
    """Move ``clock`` by ``delta``; at each due instant on the way run the due work.

    Returns how many items ran. Raises ``RuntimeError`` if due work keeps re-arming at the
    same instant (a bug in a timeout policy).
    """
    target = clock.now() + delta
    ran = 0
    for _ in range(MAX_STEPS):
        due = await services.next_due_at()
        if due is None or due > target:
            break
        if due > clock.now():
            clock.set(due)
        done = await services.run_due(clock.now())
        if done == 0 and await services.next_due_at() == due:
            break  # due but nothing changed: do not spin
        ran += done
    else:
        raise RuntimeError("due work did not settle: a timeout keeps firing at the same time")
    clock.set(target)
    return ran + await services.run_due(target)
