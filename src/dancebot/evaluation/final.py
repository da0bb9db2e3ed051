"""The ``final:`` checks: the CRM's end state (from the emulator's seed-form snapshot) and the
conversation's totals.

A reservation item matches a reservation when every key it gives agrees:

- ``client_phone``: the client's phone, both sides normalised to E.164;
- ``group``: equal, ignoring case and surrounding spaces, to the lesson's group name
  ("Contemporary, начинающие") or to its style name ("Contemporary"). No substring matching:
  "начинающие" would match a group of every style;
- ``start``: the same instant as the reservation's date at the rule's ``minutesBegin`` in the
  CRM's time zone (any offset may be written);
- ``status``: ``active`` (not deleted) or ``cancelled`` (deleted, or a truthy ``cancelled``
  field should a CRM have one); ``active`` when not given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dancebot.evaluation.checks import CheckFailure
from dancebot.evaluation.model import FinalExpectation, ReservationExpectation
from dancebot.nlu.phone import normalize_phone

Snapshot = Mapping[str, Any]


@dataclass(frozen=True)
class Totals:
    """What the runner counted over the whole conversation."""

    admin_messages: int
    fallback_queue: int
    user_messages_to_booking: int | None  # None: no booking was created


def check_final(
    final: FinalExpectation, *, crm: Snapshot, seed_ids: set[int], totals: Totals
) -> list[CheckFailure]:
    """Every ``final`` check that fails. ``seed_ids``: reservation ids present at the start."""
    failures: list[CheckFailure] = []
    if final.crm is not None:
        rows = [_Reservation.of(r, crm) for r in crm.get("reservation", [])]
        for index, item in enumerate(final.crm.reservations, start=1):
            matching = [row for row in rows if row.matches(item)]
            if len(matching) != item.count:
                failures.append(
                    CheckFailure(
                        f"final.crm.reservations[{index}]",
                        f"{item.count} × {_describe(item)}",
                        f"{len(matching)} found; reservations: {_summary(_near(rows, item))}",
                    )
                )
        total = final.crm.reservations_total
        created = [row for row in rows if row.active and row.id not in seed_ids]
        if total is not None and len(created) != total:
            failures.append(
                CheckFailure(
                    "final.crm.reservations_total",
                    f"{total} active reservation(s) created",
                    f"{len(created)} created: {_summary(created)}",
                )
            )
    failures += _totals(final, totals)
    return failures


def _totals(final: FinalExpectation, totals: Totals) -> list[CheckFailure]:
    failures: list[CheckFailure] = []
    if final.fallback_queue is not None and totals.fallback_queue != final.fallback_queue:
        failures.append(
            CheckFailure(
                "final.fallback_queue", str(final.fallback_queue), str(totals.fallback_queue)
            )
        )
    if final.admin_messages_min is not None and totals.admin_messages < final.admin_messages_min:
        failures.append(
            CheckFailure(
                "final.admin_messages_min",
                f"≥ {final.admin_messages_min} admin-chat messages",
                f"{totals.admin_messages} sent",
            )
        )
    if final.max_user_steps is not None:
        used = totals.user_messages_to_booking
        if used is None or used > final.max_user_steps:
            failures.append(
                CheckFailure(
                    "final.max_user_steps",
                    f"a booking within {final.max_user_steps} user messages",
                    "no booking was created" if used is None else f"booked after {used}",
                )
            )
    return failures


@dataclass(frozen=True)
class _Reservation:
    id: int
    phone: str | None
    names: tuple[str, ...]  # group name, style name (casefolded)
    start: datetime | None
    active: bool
    label: str

    @classmethod
    def of(cls, record: Mapping[str, Any], crm: Snapshot) -> _Reservation:
        client = _by_id(crm, "client", record.get("client"))
        rule = _by_id(crm, "schedule", record.get("schedule"))
        group = _by_id(crm, "group", rule.get("group"))
        style = _by_id(crm, "style", group.get("style"))
        names = tuple(
            str(n).strip().casefold() for n in (group.get("name"), style.get("name")) if n
        )
        start = None
        if record.get("date") and rule.get("minutesBegin") is not None:
            day = date.fromisoformat(str(record["date"]))
            midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(str(crm["timezone"])))
            start = midnight + timedelta(minutes=int(rule["minutesBegin"]))
        cancelled = bool(record.get("deleted")) or bool(record.get("cancelled"))
        phone = _crm_phone(client.get("phone"))
        label = f"#{record.get('id')} {group.get('name', '?')} {start and start.isoformat()}"
        return cls(
            id=int(record["id"]),
            phone=phone,
            names=names,
            start=start,
            active=not cancelled,
            label=label + (" cancelled" if cancelled else ""),
        )

    def matches(self, item: ReservationExpectation) -> bool:
        if item.client_phone is not None and normalize_phone(item.client_phone) != self.phone:
            return False
        if item.group is not None and item.group.strip().casefold() not in self.names:
            return False
        if item.start is not None and item.start != self.start:
            return False
        return self.active == (item.status == "active")


def _near(rows: Sequence[_Reservation], item: ReservationExpectation) -> list[_Reservation]:
    """The reservations worth showing next to a failed item: the same client's, if given."""
    if item.client_phone is None:
        return list(rows)
    return [row for row in rows if row.phone == normalize_phone(item.client_phone)]


def _by_id(crm: Snapshot, section: str, record_id: Any) -> Mapping[str, Any]:
    return next((r for r in crm.get(section, []) if r.get("id") == record_id), {})


def _crm_phone(raw: Any) -> str | None:
    """The CRM keeps international digits ("79991234567"); read them as E.164."""
    if not raw:
        return None
    digits = str(raw)
    return normalize_phone(digits if digits.startswith("+") else f"+{digits}") or (
        normalize_phone(digits)
    )


def _describe(item: ReservationExpectation) -> str:
    given = item.model_dump(exclude_none=True, exclude={"count"}, mode="json")
    return ", ".join(f"{key}={value}" for key, value in given.items())


def _summary(rows: Sequence[_Reservation]) -> str:
    return "; ".join(row.label for row in rows[-8:]) or "none"
