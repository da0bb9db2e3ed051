"""Stored records → the JSON the API answers: references as nested objects, dates as Unix
seconds at UTC midnight (docs/impulse_api.md, "Values" and "Entities")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from dancebot.adapters.crm.impulse import fields as f
from dancebot.adapters.crm.impulse.emulator.schema import ENTITIES, unix_date
from dancebot.adapters.crm.impulse.emulator.seed import Records

# What a nested reference shows of the record it points at.
_NESTED: dict[str, tuple[str, ...]] = {
    f.STYLE: (f.ID, f.NAME),
    f.TEACHER: (f.ID, f.NAME, f.LAST_NAME),
    f.HALL: (f.ID, f.NAME),
    f.CLIENT: (f.ID, f.NAME, f.LAST_NAME, f.CLIENT_PHONE),
}


class Renderer:
    """Renders records of one store; references are resolved against ``records``."""

    def __init__(self, records: Records) -> None:
        self._records = records

    def render(self, entity: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """The API's view of ``record`` (a record of ``entity``)."""
        specs = ENTITIES[entity]
        out: dict[str, Any] = {}
        for key, value in record.items():
            spec = specs.get(key)
            if spec is not None and spec.ref is not None:
                out[key] = None if value is None else self.reference(spec.ref, value)
            elif isinstance(value, date):
                out[key] = unix_date(value)
            else:
                out[key] = value
        return out

    def reference(self, entity: str, record_id: int) -> dict[str, Any]:
        """A nested reference. A record removed since is shown as ``{"id": …}`` alone."""
        target = self._records[entity].get(record_id)
        if target is None:
            return {f.ID: record_id}
        if entity == f.GROUP:
            return self._nested_group(target)
        if entity == f.SCHEDULE:
            return self.render(f.SCHEDULE, target)
        return {key: target.get(key) for key in _NESTED[entity]}

    def _nested_group(self, group: Mapping[str, Any]) -> dict[str, Any]:
        style, teacher = group[f.GROUP_STYLE], group[f.GROUP_TEACHER]
        return {
            f.ID: group[f.ID],
            f.NAME: group[f.NAME],
            f.GROUP_STYLE: None if style is None else self.reference(f.STYLE, style),
            f.GROUP_PLACES: group[f.GROUP_PLACES],
            f.GROUP_TEACHER: None if teacher is None else self.reference(f.TEACHER, teacher),
        }
