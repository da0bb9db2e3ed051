"""``ImpulseClient``: the ``CRM`` port over Impulse's HTTP API (docs/impulse_api.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import structlog

from dancebot.adapters.crm.impulse import fields as f
from dancebot.adapters.crm.impulse.api import Columns, ImpulseApi, Record
from dancebot.adapters.crm.impulse.cache import ScheduleCache, TakenLookup
from dancebot.adapters.crm.impulse.expand import expand_one, expand_rules
from dancebot.adapters.crm.impulse.models import (
    WireClient,
    WireGroup,
    WireReservation,
    WireSchedule,
    date_to_unix,
    parse_one,
    parse_records,
    phone_to_wire,
)
from dancebot.adapters.crm.impulse.settings import ImpulseSettings
from dancebot.domain.crm import Booking, CrmClient, Group, Lesson, LessonRef
from dancebot.domain.errors import (
    CrmError,
    CrmServerError,
    CrmTimeout,
    CrmUnavailable,
)
from dancebot.nlu.phone import mask_phone

if TYPE_CHECKING:
    from dancebot.ports.crm import CRM

log = structlog.get_logger(__name__)

_T = TypeVar("_T")

_LIVE: Columns = {f.DELETED: False}
_ACTIVE: Columns = {f.DELETED: False, f.ARCHIVED: False}
_DAYS_KEPT = 400  # memoized days of lessons (a year and more): then start again
# A phone's client records, as last read or created here, serve lookups this long (D80): the
# summary's lookup serves the booking's a few seconds later. Then the CRM is asked again.
CLIENTS_MEMO = timedelta(minutes=2)
_CLIENTS_KEPT = 1000


class ImpulseClient:
    """The studio's CRM through Impulse. Every method raises a ``CrmError`` on failure.

    ``http`` carries the transport (a real base URL, or ``httpx.ASGITransport`` around the
    emulator); ``tz`` is the studio's time zone; ``now`` the clock the cache judges freshness
    by; ``cache`` (optional) keeps schedules 15 min and groups 1 h.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        settings: ImpulseSettings,
        tz: ZoneInfo,
        now: Callable[[], datetime],
        cache: ScheduleCache | None = None,
    ) -> None:
        self._api = ImpulseApi(http=http, settings=settings)
        self._tz = tz
        self._now = now
        self._cache = cache
        # derived from the last rules list read (kept while the cache returns that same
        # object): the active rules parsed, and each day's lessons with no place taken
        self._rules_from: object = None
        self._rules: list[WireSchedule] = []
        self._days: dict[date, list[Lesson]] = {}
        # phone digits → (when read, the client records on it), see CLIENTS_MEMO
        self._clients: dict[str, tuple[datetime, list[CrmClient]]] = {}

    async def get_schedule(
        self,
        *,
        date_from: date,
        date_to: date,
        style_id: int | None = None,
        group_id: int | None = None,
    ) -> list[Lesson]:
        """Lessons on ``date_from..date_to`` (studio dates) sorted by start, free places
        counted from live reservations. The rules and each day's counts come from the cache
        when fresh; only days a booking touched since are read again."""
        if date_to < date_from:
            return []
        return await self._fetch_schedule(date_from, date_to, style_id, group_id)

    async def get_groups(self) -> list[Group]:
        """Active (not deleted, not archived) groups, from the cache when fresh."""
        if self._cache is not None:
            cached = await self._cache.get_groups(now=self._now())
            if cached is not None:
                return cached
        records = await self._api.list_all(f.GROUP, columns=_ACTIVE)
        groups = [g.to_domain() for g in parse_records(WireGroup, records) if g.active]
        if self._cache is not None:
            await self._cache.put_groups(groups, now=self._now())
        return groups

    async def find_client(self, phone: str, *, name: str | None = None) -> CrmClient | None:
        """The client whose phone is ``phone`` (E.164), or None. With ``name``, only a client
        of that first name (a parent's phone may carry several children's records)."""
        return await self._find_client(phone, retry=True, name=name)

    async def create_client(
        self, *, name: str, phone: str, last_name: str | None = None
    ) -> CrmClient:
        """Create a client. When the answer is lost (``CrmUnavailable``) the client is looked
        up by phone once, since the create may have gone through; otherwise the error stands."""
        digits = phone_to_wire(phone)
        body: Record = {f.NAME: name, f.CLIENT_PHONE: digits}
        if last_name:
            body[f.LAST_NAME] = last_name
        try:
            record = await self._api.update(f.CLIENT, body)
        except CrmUnavailable as exc:
            self._clients.pop(digits, None)
            found = await self._recover(self._find_client(phone, retry=False))
            if found is None:
                raise
            log.warning(
                "impulse_create_recovered",
                entity=f.CLIENT,
                error=type(exc).__name__,
                phone=mask_phone(phone),
            )
            return found
        client = parse_one(WireClient, record).to_domain()
        if (known := self._clients.get(digits)) is not None:
            self._clients[digits] = (known[0], [*known[1], client])
        return client

    async def create_booking(self, *, client_id: int, lesson: LessonRef) -> Booking:
        """Reserve a place on ``lesson``. On a timeout or a 5xx the client's reservations for
        that lesson are read once: if the reservation exists the create went through and it is
        returned, else the original error is raised. Refusals: ``LessonFull``,
        ``AlreadyBooked``, ``LessonInPast``, ``NotFound``. The lesson is not filled in."""
        body: Record = {
            f.RESERVATION_CLIENT: client_id,
            f.RESERVATION_SCHEDULE: lesson.schedule_id,
            f.RESERVATION_DATE: date_to_unix(lesson.date),
        }
        try:
            record = await self._api.update(f.RESERVATION, body)
        except (CrmTimeout, CrmServerError) as exc:
            found = await self._recover(self._find_reservation(client_id, lesson))
            if found is None:
                raise
            log.warning(
                "impulse_create_recovered",
                entity=f.RESERVATION,
                error=type(exc).__name__,
                booking_id=found.id,
            )
            return found
        finally:
            if self._cache is not None:
                await self._cache.invalidate_day(lesson.date)
        return parse_one(WireReservation, record).to_domain()

    async def list_bookings(
        self, *, client_id: int, date_from: date | None = None
    ) -> list[Booking]:
        """The client's live reservations (on or after ``date_from``), each with its lesson
        (None when its rule was deleted, archived or no longer covers the date), sorted by
        date and start."""
        columns: Columns = {f.RESERVATION_CLIENT: client_id, **_LIVE}
        if date_from is not None:
            columns[f.RESERVATION_DATE] = {f.RANGE_FROM: date_to_unix(date_from)}
        records = await self._api.list_all(f.RESERVATION, columns=columns)
        reservations = [r for r in parse_records(WireReservation, records) if not r.deleted]
        if not reservations:
            return []
        rules = {
            rule.id: rule
            for rule in parse_records(WireSchedule, await self._api.list_all(f.SCHEDULE))
        }
        days = _day_range(min(r.date for r in reservations), max(r.date for r in reservations))
        lookup = await self._cache.lookup_taken(days, now=self._now()) if self._cache else None
        taken = await self._taken(days, lookup)
        bookings = []
        for reservation in reservations:
            rule = rules.get(reservation.schedule.id)
            lesson = None
            if rule is not None and rule.active and rule.covers(reservation.date):
                key = (rule.id, reservation.date)
                lesson = expand_one(rule, day=reservation.date, tz=self._tz, taken=taken[key])
            bookings.append(reservation.to_domain(lesson))
        bookings.sort(key=_booking_order)
        return bookings

    async def cancel_booking(self, booking_id: int) -> None:
        """Cancel (soft-delete) a reservation. ``NotFound`` when it does not exist."""
        try:
            await self._api.delete(f.RESERVATION, booking_id)
        finally:
            # the port gives no date: every cached day goes (cancellations are rare)
            if self._cache is not None:
                await self._cache.invalidate_all()

    async def health_check(self) -> bool:
        """True when a minimal ``style/list`` answers with data. Never raises."""
        try:
            await self._api.list_page(f.STYLE, page=1, limit=1, retry=False)
        except CrmError as exc:
            log.warning("impulse_health_failed", error=type(exc).__name__)
            return False
        return True

    async def _fetch_schedule(
        self, date_from: date, date_to: date, style_id: int | None, group_id: int | None
    ) -> list[Lesson]:
        days = _day_range(date_from, date_to)
        # the rules and the days' counts from the cache in one round trip
        cached = await self._cache.read(days, now=self._now()) if self._cache else None
        wanted = [
            rule
            for rule in await self._active_rules(cached.rules if cached else None)
            if (group_id is None or rule.group.id == group_id)
            and (style_id is None or (rule.group.style and rule.group.style.id == style_id))
        ]
        if not wanted:
            return []
        ids = {rule.id for rule in wanted}
        taken = await self._taken(days, cached.taken if cached else None)
        lessons: list[Lesson] = []
        for day in days:
            for lesson in self._day_lessons(day):
                if lesson.schedule_id not in ids:
                    continue
                used = taken.get((lesson.schedule_id, day), 0)
                lessons.append(
                    lesson
                    if used == 0
                    else lesson.model_copy(update={"free_places": max(lesson.capacity - used, 0)})
                )
        return lessons

    def _day_lessons(self, day: date) -> list[Lesson]:
        """The lessons of every active rule on ``day``, no place taken, sorted (memoized for
        the rules last read)."""
        lessons = self._days.get(day)
        if lessons is None:
            if len(self._days) > _DAYS_KEPT:
                self._days.clear()
            lessons = expand_rules(self._rules, date_from=day, date_to=day, tz=self._tz, taken={})
            self._days[day] = lessons
        return lessons

    async def _active_rules(self, records: list[dict[str, Any]] | None) -> list[WireSchedule]:
        """The active rules from the cached ``records``, read from the CRM (and cached) when
        there are none."""
        if records is None:
            records = await self._api.list_all(f.SCHEDULE, columns=_ACTIVE)
            if self._cache is not None:
                await self._cache.put_rules(records, now=self._now())
        if records is not self._rules_from:
            self._rules = [rule for rule in parse_records(WireSchedule, records) if rule.active]
            self._rules_from = records
            self._days = {}
        return self._rules

    async def _taken(
        self, days: list[date], lookup: TakenLookup | None
    ) -> Counter[tuple[int, date]]:
        """Live reservations per ``(schedule id, date)`` on ``days`` (consecutive): the days
        ``lookup`` found cached, the others in one CRM read spanning them (stored under the
        keys ``lookup`` took before the read)."""
        found = lookup.found if lookup is not None else {}
        missing = [day for day in days if day not in found]
        taken: Counter[tuple[int, date]] = Counter(
            {(schedule, day): n for day, counts in found.items() for schedule, n in counts.items()}
        )
        if not missing:
            return taken
        fetched = await self._fetch_taken(min(missing), max(missing))
        per_day: dict[date, dict[int, int]] = {day: {} for day in missing}
        for (schedule, day), n in fetched.items():
            if day in per_day:
                per_day[day][schedule] = n
                taken[(schedule, day)] = n
        if lookup is not None and self._cache is not None:
            await self._cache.put_taken(lookup, per_day, now=self._now())
        return taken

    async def _fetch_taken(self, date_from: date, date_to: date) -> Counter[tuple[int, date]]:
        columns: Columns = {
            f.RESERVATION_DATE: {
                f.RANGE_FROM: date_to_unix(date_from),
                f.RANGE_TO: date_to_unix(date_to),
            },
            **_LIVE,
        }
        records = await self._api.list_all(f.RESERVATION, columns=columns)
        return Counter(
            (r.schedule.id, r.date)
            for r in parse_records(WireReservation, records)
            if not r.deleted
        )

    async def _find_client(
        self, phone: str, *, retry: bool, name: str | None = None
    ) -> CrmClient | None:
        digits = phone_to_wire(phone)
        if not digits:
            return None
        clients = await self._clients_on(digits, retry=retry)
        if name is not None:
            clients = [c for c in clients if c.name.casefold() == name.casefold()]
        log.info("impulse_find_client", phone=mask_phone(phone), found=bool(clients))
        return clients[0] if clients else None

    async def _clients_on(self, digits: str, *, retry: bool) -> list[CrmClient]:
        """The client records on a phone: remembered for ``CLIENTS_MEMO`` after a read or a
        create here; a lookup without retries (a recovery) always asks the CRM."""
        now = self._now()
        known = self._clients.get(digits)
        if retry and known is not None and now - known[0] < CLIENTS_MEMO:
            return known[1]
        records = await self._api.list_all(f.CLIENT, columns={f.CLIENT_PHONE: digits}, retry=retry)
        clients = [c.to_domain() for c in parse_records(WireClient, records)]
        if len(self._clients) >= _CLIENTS_KEPT:
            self._clients.clear()
        self._clients[digits] = (now, clients)
        return clients

    async def _find_reservation(self, client_id: int, lesson: LessonRef) -> Booking | None:
        columns: Columns = {
            f.RESERVATION_CLIENT: client_id,
            f.RESERVATION_SCHEDULE: lesson.schedule_id,
            f.RESERVATION_DATE: date_to_unix(lesson.date),
            **_LIVE,
        }
        records = await self._api.list_all(f.RESERVATION, columns=columns, retry=False)
        found = [r for r in parse_records(WireReservation, records) if not r.deleted]
        return found[0].to_domain() if found else None

    async def _recover(self, lookup: Awaitable[_T]) -> _T | None:
        """Await a one-shot recovery read; its own failure means "not found"."""
        try:
            return await lookup
        except CrmError as exc:
            log.warning("impulse_recovery_failed", error=type(exc).__name__)
            return None


def _day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _booking_order(booking: Booking) -> tuple[date, float, int]:
    # a booking whose rule is gone sorts last on its date
    start = booking.lesson.start.timestamp() if booking.lesson else float("inf")
    return booking.date, start, booking.id


if TYPE_CHECKING:

    def _implements_the_port(client: ImpulseClient) -> CRM:
        return client  # mypy checks ImpulseClient against the CRM Protocol here
