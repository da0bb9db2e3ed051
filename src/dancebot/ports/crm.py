"""The CRM port: the contract's eight functions (contract §5)."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from dancebot.domain.crm import Booking, CrmClient, Group, Lesson, LessonRef


class CRM(Protocol):
    """Everything the bot asks of the studio's CRM.

    Every method raises a ``dancebot.domain.errors.CrmError`` subclass on failure: a
    ``CrmRefusal`` when the CRM said no, a ``CrmUnavailable`` when it could not be reached
    or did not answer with data. No method returns partial data on failure.
    """

    async def get_schedule(
        self,
        *,
        date_from: date,
        date_to: date,
        style_id: int | None = None,
        group_id: int | None = None,
    ) -> list[Lesson]:
        """Concrete lessons from ``date_from`` to ``date_to`` inclusive (studio dates),
        sorted by start, with free places counted."""
        ...

    async def get_groups(self) -> list[Group]:
        """Active groups with their style, teacher and capacity."""
        ...

    async def find_client(self, phone: str, *, name: str | None = None) -> CrmClient | None:
        """The client with this E.164 phone (and this first name, when given), or None."""
        ...

    async def create_client(
        self, *, name: str, phone: str, last_name: str | None = None
    ) -> CrmClient:
        """Create a client. Not retried blindly: a lost answer is resolved by ``find_client``."""
        ...

    async def create_booking(self, *, client_id: int, lesson: LessonRef) -> Booking:
        """Reserve a place. Raises ``LessonFull``, ``AlreadyBooked``, ``LessonInPast``,
        ``NotFound`` or a ``CrmUnavailable``."""
        ...

    async def list_bookings(
        self, *, client_id: int, date_from: date | None = None
    ) -> list[Booking]:
        """The client's active reservations (from ``date_from`` on), lessons filled in."""
        ...

    async def cancel_booking(self, booking_id: int) -> None:
        """Cancel a reservation. Raises ``NotFound`` when it does not exist."""
        ...

    async def health_check(self) -> bool:
        """True when the CRM answers with data using our credentials."""
        ...
