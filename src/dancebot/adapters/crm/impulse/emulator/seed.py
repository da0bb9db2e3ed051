"""Loading the emulator's seed: a YAML or JSON file in the DESIGN §7 format.

```yaml
timezone: Asia/Vladivostok
style:   [{id: 1, name: Contemporary}]
teacher: [{id: 1, name: Анна, lastName: Петрова}]
hall:    [{id: 1, name: Большой зал}]
group:   [{id: 10, name: "…", style: 1, teacher1: 1, placeCount: 12}]
schedule: [{id: 100, group: 10, hall: 1, teacher: 1, day: 3, minutesBegin: 1140,
            minutesEnd: 1230, dateBegin: "2026-01-01", dateEnd: "2026-12-31"}]
client:  [{id: 500, name: Мария, lastName: Иванова, phone: "79991234567"}]
reservation: [{id: 9000, client: 500, schedule: 100, date: "2026-03-04"}]
```

Every section and ``timezone`` (default UTC) may be missing; unknown keys on records are kept.
References are ids and must point at records of the same seed; a reservation's date must be
a day its schedule rule covers. A schedule without ``teacher`` gets its group's ``teacher1``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from dancebot.adapters.crm.impulse import fields as f
from dancebot.adapters.crm.impulse.emulator.schema import (
    SECTIONS,
    FieldProblem,
    build_record,
    references,
    rule_covers,
    stored_to_plain,
    to_date,
)

DEFAULT_TIMEZONE = "UTC"

Records = dict[str, dict[int, dict[str, Any]]]


class SeedError(ValueError):
    """A seed (or saved state) file that cannot be read or does not fit the format; the
    message names the file, the section, the record id and the field."""


@dataclass(frozen=True)
class Seed:
    """A parsed seed: the studio's time zone and every record by section and id (stored
    form, see ``schema``). Treat it as read-only; the emulator state copies it."""

    timezone: str
    records: Records
    source: str = "<seed>"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_seed(path: Path) -> Seed:
    """Read and validate the seed at ``path`` (``.json`` as JSON, anything else as YAML).

    Raises ``SeedError`` when the file cannot be read or parsed or does not fit the format.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(f"{path}: cannot read the seed ({exc.strerror or exc})") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SeedError(f"{path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}") from exc
    return parse_seed(data if data is not None else {}, source=str(path))


def parse_seed(data: Any, *, source: str = "<seed>", check_dates: bool = True) -> Seed:
    """Validate an already-parsed seed document. ``source`` names it in errors.
    ``check_dates=False`` skips the reservation-date check (saved state, where a rule may
    have been edited after its reservations were made).

    Raises ``SeedError`` on the first problem found.
    """
    if not isinstance(data, Mapping):
        raise SeedError(f"{source}: a seed is a mapping of sections, got {type(data).__name__}")
    timezone = _timezone(data.get("timezone"), source=source)
    records: Records = {}
    for section in SECTIONS:
        records[section] = _section(data.get(section), section=section, source=source)
    _default_schedule_teachers(records)
    _check_references(records, source=source)
    if check_dates:
        _check_reservation_dates(records, source=source)
    return Seed(timezone=timezone, records=records, source=source)


def seed_document(timezone: str, records: Records) -> dict[str, Any]:
    """``records`` back in seed form (ids, ``"YYYY-MM-DD"`` dates), sections sorted by id."""
    document: dict[str, Any] = {"timezone": timezone}
    for section in SECTIONS:
        by_id = records.get(section, {})
        document[section] = [stored_to_plain(by_id[key]) for key in sorted(by_id)]
    return document


def _timezone(value: Any, *, source: str) -> str:
    if value is None:
        return DEFAULT_TIMEZONE
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SeedError(f"{source}: timezone: unknown time zone {value!r}") from exc
    return str(value)


def _section(raw: Any, *, section: str, source: str) -> dict[int, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise SeedError(f"{source}: {section}: expected a list of records")
    by_id: dict[int, dict[str, Any]] = {}
    for index, item in enumerate(raw):
        where = f"{source}: {section}[{index}]"
        if not isinstance(item, Mapping):
            raise SeedError(f"{where}: expected a mapping, got {type(item).__name__}")
        record_id = item.get(f.ID)
        if isinstance(record_id, bool) or not isinstance(record_id, int):
            raise SeedError(f"{where}: id: an integer id is required, got {record_id!r}")
        where = f"{source}: {section} id={record_id}"
        if record_id in by_id:
            raise SeedError(f"{where}: id: duplicate id")
        try:
            record = build_record(section, item)
        except FieldProblem as exc:
            raise SeedError(f"{where}: {exc.field}: {exc.reason}") from exc
        by_id[record_id] = {f.ID: record_id, **record}
    return by_id


def _default_schedule_teachers(records: Records) -> None:
    groups = records[f.GROUP]
    for rule in records[f.SCHEDULE].values():
        group = groups.get(rule[f.SCHEDULE_GROUP])
        if rule[f.SCHEDULE_TEACHER] is None and group is not None:
            rule[f.SCHEDULE_TEACHER] = group[f.GROUP_TEACHER]


def _check_references(records: Records, *, source: str) -> None:
    for section in SECTIONS:
        links = references(section)
        for record_id, record in records[section].items():
            for field, target in links.items():
                value = record[field]
                if value is not None and value not in records[target]:
                    raise SeedError(
                        f"{source}: {section} id={record_id}: {field}: no {target} with id {value}"
                    )


def _check_reservation_dates(records: Records, *, source: str) -> None:
    rules = records[f.SCHEDULE]
    for record_id, reservation in records[f.RESERVATION].items():
        rule = rules[reservation[f.RESERVATION_SCHEDULE]]
        day = to_date(reservation[f.RESERVATION_DATE])
        if not rule_covers(rule, day):
            raise SeedError(
                f"{source}: {f.RESERVATION} id={record_id}: {f.RESERVATION_DATE}: "
                f"schedule {rule[f.ID]} has no lesson on {day.isoformat()} "
                f"(weekday {day.isoweekday()}, rule day {rule[f.SCHEDULE_DAY]})"
            )
