"""The emulator's entity schema: which fields each Impulse entity has, what kind of value each
holds, which ones refer to another entity, and how raw values (from a seed file or a request
body) become stored values.

Stored values: ids and references are ``int``, calendar dates are ``datetime.date``,
timestamps are ``int`` Unix seconds, phones are digit strings. Field names come from the
client's ``fields`` module, so the emulator and the client cannot disagree on a name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from dancebot.adapters.crm.impulse import fields as f


@dataclass(frozen=True)
class FieldSpec:
    """One field: its kind, the entity it refers to (``kind == "ref"``), whether a new record
    must have it, and the value a new record gets when it is absent."""

    kind: str
    ref: str | None = None
    required: bool = False
    default: Any = None


def _ref(entity: str, *, required: bool = False) -> FieldSpec:
    return FieldSpec("ref", ref=entity, required=required)


_NAME = FieldSpec("str", required=True)
_FLAG = FieldSpec("bool", default=False)

ENTITIES: dict[str, dict[str, FieldSpec]] = {
    f.STYLE: {f.NAME: _NAME},
    f.TEACHER: {f.NAME: _NAME, f.LAST_NAME: FieldSpec("str")},
    f.HALL: {f.NAME: _NAME},
    f.GROUP: {
        f.NAME: _NAME,
        f.GROUP_STYLE: _ref(f.STYLE),
        f.GROUP_TEACHER: _ref(f.TEACHER),
        f.GROUP_PLACES: FieldSpec("count", required=True),
        f.DELETED: _FLAG,
        f.ARCHIVED: _FLAG,
    },
    f.SCHEDULE: {
        f.SCHEDULE_GROUP: _ref(f.GROUP, required=True),
        f.SCHEDULE_HALL: _ref(f.HALL),
        f.SCHEDULE_TEACHER: _ref(f.TEACHER),
        f.SCHEDULE_DAY: FieldSpec("day", required=True),
        f.SCHEDULE_MINUTES_BEGIN: FieldSpec("minutes", required=True),
        f.SCHEDULE_MINUTES_END: FieldSpec("minutes", required=True),
        f.SCHEDULE_DATE_BEGIN: FieldSpec("date", required=True),
        f.SCHEDULE_DATE_END: FieldSpec("date"),
        f.DELETED: _FLAG,
        f.ARCHIVED: _FLAG,
    },
    f.CLIENT: {
        f.NAME: _NAME,
        f.LAST_NAME: FieldSpec("str"),
        f.CLIENT_PHONE: FieldSpec("phone", required=True),
        f.CREATED: FieldSpec("timestamp"),
    },
    f.RESERVATION: {
        f.RESERVATION_CLIENT: _ref(f.CLIENT, required=True),
        f.RESERVATION_SCHEDULE: _ref(f.SCHEDULE, required=True),
        f.RESERVATION_DATE: FieldSpec("date", required=True),
        f.RESERVATION_DELETED: _FLAG,
        f.CREATED: FieldSpec("timestamp"),
    },
}

# Seed sections in load order: every section refers only to sections before it.
SECTIONS: tuple[str, ...] = tuple(ENTITIES)

# Entities that are never removed, only flagged (``delete`` sets ``deleted: true``).
SOFT_DELETED: frozenset[str] = frozenset({f.GROUP, f.SCHEDULE, f.RESERVATION})

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def unix_date(value: date) -> int:
    """``value`` as Unix seconds at UTC midnight (``2026-03-04`` → ``1772582400``)."""
    return int(datetime.combine(value, time(), tzinfo=UTC).timestamp())


def coerce(spec: FieldSpec, value: Any) -> Any:
    """The stored form of ``value`` for a field of ``spec``. ``None`` stays ``None``.

    Raises ``ValueError`` with a short reason when the value does not fit the field.
    """
    if value is None:
        return None
    converter = _CONVERTERS[spec.kind]
    return converter(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError(f"expected an integer, got {value!r}")


def _to_ref(value: Any) -> int:
    # A reference may come back the way the API renders it: a nested object with an id.
    if isinstance(value, Mapping):
        if f.ID not in value:
            raise ValueError("a nested reference needs an id")
        value = value[f.ID]
    return _to_int(value)


def _to_str(value: Any) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text, got {value!r}")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    raise ValueError(f"expected true or false, got {value!r}")


def _in_range(low: int, high: int) -> Any:
    def convert(value: Any) -> int:
        number = _to_int(value)
        if not low <= number <= high:
            raise ValueError(f"expected {low}..{high}, got {number}")
        return number

    return convert


def to_date(value: Any) -> date:
    """A calendar date from a ``date``, a ``"YYYY-MM-DD"`` string or Unix seconds at UTC
    midnight. Raises ``ValueError`` otherwise (a timestamp that is not a midnight included:
    it would silently move the lesson to another day)."""
    if isinstance(value, datetime):
        raise ValueError(f"expected a date, got a date and time {value.isoformat()}")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"not a calendar date: {value!r}") from exc
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            moment = datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"Unix date {value} is out of range") from exc
        if moment.time() != time():
            raise ValueError(f"Unix date {value} is not at UTC midnight")
        return moment.date()
    raise ValueError(f"expected a date as YYYY-MM-DD or Unix seconds, got {value!r}")


def _to_timestamp(value: Any) -> int:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(moment.timestamp())
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        try:
            return _to_timestamp(datetime.fromisoformat(value.strip()))
        except ValueError as exc:
            raise ValueError(f"expected Unix seconds or ISO-8601, got {value!r}") from exc
    return _to_int(value)


def to_phone(value: Any) -> str:
    """Digits only (``"+7 (999) 123-45-67"`` → ``"79991234567"``); raises ``ValueError`` when
    no digit is left."""
    digits = "".join(ch for ch in _to_str(value) if ch.isdigit())
    if not digits:
        raise ValueError(f"a phone needs digits, got {value!r}")
    return digits


_CONVERTERS: dict[str, Any] = {
    "ref": _to_ref,
    "str": _to_str,
    "bool": _to_bool,
    "count": _in_range(0, 100_000),
    "day": _in_range(1, 7),
    "minutes": _in_range(0, 24 * 60),
    "date": to_date,
    "timestamp": _to_timestamp,
    "phone": to_phone,
}


def plain(value: Any) -> Any:
    """A JSON-safe copy of an unknown field's value (dates become ISO strings)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


class FieldProblem(ValueError):
    """A record's field does not fit the schema; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def build_record(
    entity: str, raw: Mapping[str, Any], *, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The stored record made of ``raw`` (without its id): on top of ``base`` when modifying
    a record, else with defaults filled in and required fields checked.

    Unknown keys are kept (JSON-safe). Raises ``FieldProblem`` naming the first bad field.
    """
    specs = ENTITIES[entity]
    record: dict[str, Any] = dict(base) if base is not None else {}
    for key, value in raw.items():
        if key == f.ID:
            continue
        spec = specs.get(key)
        if spec is None:
            record[key] = plain(value)
            continue
        try:
            record[key] = coerce(spec, value)
        except ValueError as exc:
            raise FieldProblem(key, str(exc)) from exc
    for key, spec in specs.items():
        if record.get(key) is None:
            if spec.required:
                raise FieldProblem(key, "is required")
            record[key] = spec.default
    _check_consistency(entity, record)
    return record


def _check_consistency(entity: str, record: Mapping[str, Any]) -> None:
    if entity != f.SCHEDULE:
        return
    if record[f.SCHEDULE_MINUTES_END] <= record[f.SCHEDULE_MINUTES_BEGIN]:
        raise FieldProblem(f.SCHEDULE_MINUTES_END, "must be after minutesBegin")
    date_end = record[f.SCHEDULE_DATE_END]
    if date_end is not None and date_end < record[f.SCHEDULE_DATE_BEGIN]:
        raise FieldProblem(f.SCHEDULE_DATE_END, "must not be before dateBegin")


def references(entity: str) -> dict[str, str]:
    """``{field: referred entity}`` for ``entity``."""
    return {key: spec.ref for key, spec in ENTITIES[entity].items() if spec.ref is not None}


def stored_to_plain(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stored record in seed form: references as ids, dates as ``"YYYY-MM-DD"``."""
    return {key: plain(value) for key, value in record.items()}


def rule_covers(rule: Mapping[str, Any], day: date) -> bool:
    """Whether the weekly schedule ``rule`` has a lesson on ``day`` (its weekday, within
    ``dateBegin``..``dateEnd``; no ``dateEnd`` = open-ended)."""
    if day.isoweekday() != rule[f.SCHEDULE_DAY] or day < rule[f.SCHEDULE_DATE_BEGIN]:
        return False
    date_end = rule[f.SCHEDULE_DATE_END]
    return date_end is None or day <= date_end
