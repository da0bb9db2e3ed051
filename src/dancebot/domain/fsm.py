"""The conversation's states (contract §7, RFC §7.1) and the one table of allowed transitions."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    IDLE = "idle"
    COLLECTING_INTENT = "collecting_intent"
    BROWSING_SCHEDULE = "browsing_schedule"
    COLLECTING_GROUP = "collecting_group"
    COLLECTING_DATETIME = "collecting_datetime"
    COLLECTING_CONTACT = "collecting_contact"
    CONFIRM_BOOKING = "confirm_booking"
    BOOKING_IN_PROGRESS = "booking_in_progress"
    BOOKING_DONE = "booking_done"
    SERIAL_BOOKING = "serial_booking"
    CANCEL_FLOW = "cancel_flow"
    HANDOFF_TO_ADMIN = "handoff_to_admin"
    ADMIN_RESPONDING = "admin_responding"


_BOOKING_STEPS = frozenset(
    {
        State.COLLECTING_GROUP,
        State.COLLECTING_DATETIME,
        State.COLLECTING_CONTACT,
        State.CONFIRM_BOOKING,
    }
)
_ANY_CONVERSATION = frozenset(
    {
        State.IDLE,
        State.COLLECTING_INTENT,
        State.BROWSING_SCHEDULE,
        *_BOOKING_STEPS,
        State.SERIAL_BOOKING,
        State.CANCEL_FLOW,
    }
)

# Where each state may go. Every state may also return to IDLE (timeouts, /reset, recovery)
# and hand off to the admin; those two are added below rather than repeated in every row.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.IDLE: _ANY_CONVERSATION,
    State.COLLECTING_INTENT: _ANY_CONVERSATION,
    State.BROWSING_SCHEDULE: _ANY_CONVERSATION,
    State.COLLECTING_GROUP: _ANY_CONVERSATION,
    State.COLLECTING_DATETIME: _ANY_CONVERSATION,
    State.COLLECTING_CONTACT: _ANY_CONVERSATION,
    State.CONFIRM_BOOKING: _ANY_CONVERSATION | {State.BOOKING_IN_PROGRESS},
    State.BOOKING_IN_PROGRESS: frozenset(
        {State.BOOKING_DONE, State.CONFIRM_BOOKING, *_BOOKING_STEPS}
    ),
    State.BOOKING_DONE: _ANY_CONVERSATION,
    State.SERIAL_BOOKING: _ANY_CONVERSATION | {State.BOOKING_IN_PROGRESS},
    State.CANCEL_FLOW: _ANY_CONVERSATION | {State.BOOKING_IN_PROGRESS},
    State.HANDOFF_TO_ADMIN: frozenset({State.ADMIN_RESPONDING}),
    State.ADMIN_RESPONDING: frozenset(),
}
TRANSITIONS = {
    state: targets | {State.IDLE, State.HANDOFF_TO_ADMIN} for state, targets in TRANSITIONS.items()
}


class IllegalTransition(Exception):
    """The engine tried a transition the table does not allow: a bug, never a user error."""


def check_transition(current: State, target: State) -> State:
    """Return ``target`` when the table allows ``current → target``, else raise."""
    if target == current or target in TRANSITIONS[current]:
        return target
    raise IllegalTransition(f"{current.value} → {target.value}")
