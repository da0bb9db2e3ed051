"""The emulator's in-memory CRM: every entity, the four actions with the CRM's semantics,
an adjustable clock, fault injection and optional persistence to a JSON file."""

from __future__ import annotations

import asyncio
import copy
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dancebot.adapters.crm.impulse import fields as f
from dancebot.adapters.crm.impulse.emulator.booking import (
    NOT_FOUND,
    VALIDATION,
    EmulatorError,
    check_reservation,
    taken_places,
)
from dancebot.adapters.crm.impulse.emulator.query import QueryError, parse_list_query, run_list
from dancebot.adapters.crm.impulse.emulator.render import Renderer
from dancebot.adapters.crm.impulse.emulator.schema import (
    ENTITIES,
    SOFT_DELETED,
    FieldProblem,
    build_record,
    references,
)
from dancebot.adapters.crm.impulse.emulator.seed import (
    Records,
    Seed,
    SeedError,
    load_seed,
    parse_seed,
    seed_document,
)

FAULT_MODES = frozenset({"none", "down", "slow", "login_page", "rate_limit", "bad_body"})
DEFAULT_FAULT_DELAY = 35.0  # seconds: longer than any sane client timeout
_NEXT_ID_KEY = "nextId"  # extra top-level key of the state file

Now = Callable[[], datetime]


@dataclass(frozen=True)
class Fault:
    """The failure the API currently simulates (``none`` = answer normally)."""

    mode: str = "none"
    delay: float = DEFAULT_FAULT_DELAY


def _real_now() -> datetime:
    return datetime.now(UTC)


class EmulatorState:
    """All CRM records plus the emulator's controls.

    Every action raises ``EmulatorError`` (a business refusal) on bad input; nothing else
    escapes for well-formed calls. With ``state_file``, an existing file is loaded instead
    of ``seed`` and every mutation rewrites it atomically; a broken file raises ``SeedError``.
    Not thread-safe: one event loop owns it (no action awaits, so each is atomic there).
    """

    def __init__(
        self, seed: Seed, *, now: Now | None = None, state_file: Path | None = None
    ) -> None:
        self._seed = seed
        self._now: Now = now or _real_now
        self._state_file = state_file
        self.fault = Fault()
        self.held = 0  # API calls being delayed by the "slow" fault right now
        self._fault_changed: asyncio.Event | None = None
        self._timezone = seed.timezone
        self._records: Records = {}
        self._next_ids: dict[str, int] = {}
        if state_file is not None and state_file.exists():
            self._load_state_file(state_file)
        else:
            self._restore(seed.timezone, seed.records, next_ids={})

    @classmethod
    def from_seed_file(
        cls, path: Path, *, now: Now | None = None, state_file: Path | None = None
    ) -> EmulatorState:
        """Load the seed at ``path`` (raises ``SeedError``) and build a state from it."""
        return cls(load_seed(path), now=now, state_file=state_file)

    # --- controls -------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        """The studio's time zone (lesson times are in it)."""
        return ZoneInfo(self._timezone)

    def now(self) -> datetime:
        """The emulator's current instant, timezone-aware."""
        return self._aware(self._now())

    def set_now(self, value: datetime | Now | None) -> None:
        """Fix the clock at ``value`` (naive = studio time), follow a callable, or go back to
        the real clock with ``None``."""
        if value is None:
            self._now = _real_now
        elif isinstance(value, datetime):
            fixed = self._aware(value)
            self._now = lambda: fixed
        else:
            self._now = value

    def set_fault(self, mode: str, delay: float = DEFAULT_FAULT_DELAY) -> None:
        """Simulate ``mode`` on every API call from now on. Raises ``ValueError`` on an
        unknown mode or a negative delay."""
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {sorted(FAULT_MODES)}")
        if delay < 0:
            raise ValueError("the delay cannot be negative")
        self.fault = Fault(mode=mode, delay=float(delay))
        if self._fault_changed is not None:  # wake the calls the old fault holds
            self._fault_changed.set()
            self._fault_changed = None

    def fault_changed(self) -> asyncio.Event:
        """Set when the fault is changed next (held "slow" calls wait on it)."""
        if self._fault_changed is None:
            self._fault_changed = asyncio.Event()
        return self._fault_changed

    def reset(self) -> None:
        """Back to the seed's records (and rewrite the state file). Clock and fault stay."""
        self._restore(self._seed.timezone, self._seed.records, next_ids={})
        self._save()

    def snapshot(self) -> dict[str, Any]:
        """Every record as stored, in seed form (ids, ``"YYYY-MM-DD"`` dates), plus the
        time zone; reservations include deleted ones. A fresh copy: safe to modify."""
        return seed_document(self._timezone, self._records)

    def free_places(self, schedule_id: int, day: date) -> int:
        """Free places on the lesson ``(schedule_id, day)``; raises ``EmulatorError``
        ``not_found`` for an unknown rule."""
        rule = self._get(f.SCHEDULE, schedule_id)
        group = self._get(f.GROUP, rule[f.SCHEDULE_GROUP])
        return int(group[f.GROUP_PLACES]) - len(taken_places(self._records, schedule_id, day))

    # --- the four actions -------------------------------------------------------------

    def list(self, entity: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``{"total", "items"}`` for a ``list`` body. Deleted reservations are left out
        unless ``columns`` asks for ``deleted``."""
        records = self._section(entity)
        known = set(ENTITIES[entity]) | {f.ID}
        for record in records.values():
            known.update(record)
        try:
            query = parse_list_query(entity, body, known=known)
        except QueryError as exc:
            raise EmulatorError(VALIDATION, str(exc)) from exc
        if entity == f.RESERVATION and f.RESERVATION_DELETED not in query.columns:
            query.columns[f.RESERVATION_DELETED] = False
        renderer = Renderer(self._records)
        try:
            return run_list(query, records.values(), render=lambda r: renderer.render(entity, r))
        except QueryError as exc:
            raise EmulatorError(VALIDATION, str(exc)) from exc

    def load(self, entity: str, record_id: int) -> dict[str, Any]:
        """One record, rendered (deleted ones too); ``not_found`` for an unknown id."""
        return Renderer(self._records).render(entity, self._get(entity, record_id))

    def update(self, entity: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create (no ``id``) or modify (``id``) a record; answers it rendered.

        Refusals: ``validation`` (bad or missing field), ``not_found`` (unknown id or
        reference); for reservations also ``lesson_in_past``, ``already_booked``,
        ``place_limit``.
        """
        self._section(entity)
        raw_id = body.get(f.ID)
        if raw_id is None:
            record = self._create(entity, body)
        else:
            record = self._modify(entity, _record_id(raw_id), body)
        self._save()
        return Renderer(self._records).render(entity, record)

    def delete(self, entity: str, record_id: int) -> dict[str, Any]:
        """Delete a record: groups, schedule rules and reservations are flagged
        ``deleted``; others are removed (refused with ``validation`` while referenced).
        ``not_found`` for an unknown or already deleted id."""
        record = self._get(entity, record_id)
        if entity in SOFT_DELETED:
            if record[f.DELETED]:
                raise EmulatorError(NOT_FOUND, f"{entity} {record_id} is already deleted")
            record[f.DELETED] = True
        else:
            self._refuse_if_referenced(entity, record_id)
            del self._records[entity][record_id]
        self._save()
        return {f.ID: record_id, f.DELETED: True}

    # --- internals ----------------------------------------------------------------------

    def _create(self, entity: str, body: Mapping[str, Any]) -> dict[str, Any]:
        record = self._build(entity, body, base=None)
        if f.CREATED in ENTITIES[entity]:
            record[f.CREATED] = int(self.now().timestamp())
        if entity == f.RESERVATION:
            record[f.RESERVATION_DELETED] = False
            check_reservation(self._records, record, now=self.now(), zone=self.zone)
        record_id = self._next_ids[entity]
        self._next_ids[entity] = record_id + 1
        stored = {f.ID: record_id, **record}
        self._records[entity][record_id] = stored
        return stored

    def _modify(self, entity: str, record_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        current = self._get(entity, record_id)
        record = self._build(entity, body, base=current)
        if entity == f.RESERVATION and not record[f.RESERVATION_DELETED]:
            keys = (f.RESERVATION_CLIENT, f.RESERVATION_SCHEDULE, f.RESERVATION_DATE)
            moved = any(record[key] != current[key] for key in keys)
            if moved or current[f.RESERVATION_DELETED]:
                check_reservation(
                    self._records, record, now=self.now(), zone=self.zone, exclude=record_id
                )
        current.clear()
        current.update(record)
        current[f.ID] = record_id
        return current

    def _build(
        self, entity: str, body: Mapping[str, Any], *, base: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        try:
            record = build_record(entity, body, base=base)
        except FieldProblem as exc:
            raise EmulatorError(VALIDATION, f"{entity}.{exc.field}: {exc.reason}") from exc
        for field, target in references(entity).items():
            value = record[field]
            if value is not None and value not in self._records[target]:
                raise EmulatorError(NOT_FOUND, f"{entity}.{field}: no {target} with id {value}")
        if entity == f.SCHEDULE and record[f.SCHEDULE_TEACHER] is None:
            group = self._records[f.GROUP][record[f.SCHEDULE_GROUP]]
            record[f.SCHEDULE_TEACHER] = group[f.GROUP_TEACHER]
        return record

    def _refuse_if_referenced(self, entity: str, record_id: int) -> None:
        for section in ENTITIES:
            for field, target in references(section).items():
                if target != entity:
                    continue
                for other in self._records[section].values():
                    if other[field] == record_id:
                        raise EmulatorError(
                            VALIDATION,
                            f"{entity} {record_id} is used by {section} {other[f.ID]}",
                        )

    def _section(self, entity: str) -> dict[int, dict[str, Any]]:
        if entity not in self._records:
            raise EmulatorError(NOT_FOUND, f"unknown entity {entity!r}")
        return self._records[entity]

    def _get(self, entity: str, record_id: int) -> dict[str, Any]:
        record = self._section(entity).get(record_id)
        if record is None:
            raise EmulatorError(NOT_FOUND, f"no {entity} with id {record_id}")
        return record

    def _aware(self, moment: datetime) -> datetime:
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    def _restore(self, timezone: str, records: Records, *, next_ids: Mapping[str, int]) -> None:
        self._timezone = timezone
        self._records = copy.deepcopy(records)
        self._next_ids = {
            entity: max([next_ids.get(entity, 1), *(key + 1 for key in by_id)])
            for entity, by_id in self._records.items()
        }

    def _load_state_file(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SeedError(f"{path}: cannot read the saved emulator state ({exc})") from exc
        saved = parse_seed(data, source=str(path), check_dates=False)
        next_ids = data.get(_NEXT_ID_KEY) if isinstance(data, dict) else None
        self._restore(saved.timezone, saved.records, next_ids=next_ids or {})

    def _save(self) -> None:
        if self._state_file is None:
            return
        document = {**self.snapshot(), _NEXT_ID_KEY: self._next_ids}
        tmp = self._state_file.with_name(f".{self._state_file.name}.tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self._state_file)


def _record_id(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise EmulatorError(VALIDATION, f"id must be a positive integer, got {raw!r}")
    return int(raw)
