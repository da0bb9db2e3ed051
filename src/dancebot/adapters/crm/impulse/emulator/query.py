"""The ``list`` action: ``columns`` filters, ``sort``, ``limit``/``page`` paging and
``fields`` projection over stored records (docs/impulse_api.md, "Actions")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from dancebot.adapters.crm.impulse import fields as f
from dancebot.adapters.crm.impulse.emulator.schema import (
    ENTITIES,
    coerce,
    to_date,
    unix_date,
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500  # assumption (docs/impulse_api.md): larger limits are capped, not refused


class QueryError(ValueError):
    """A ``list`` body the CRM would refuse with ``validation``."""


@dataclass(frozen=True)
class Range:
    low: Any
    high: Any


@dataclass(frozen=True)
class ListQuery:
    """A validated ``list`` body. ``columns`` values are a scalar, a tuple (any of) or a
    ``Range``, already in comparable form (ids, Unix dates)."""

    columns: dict[str, Any]
    sort: tuple[tuple[str, bool], ...]  # (field, descending)
    limit: int
    page: int
    fields: tuple[str, ...] | None


def parse_list_query(entity: str, body: Mapping[str, Any], *, known: set[str]) -> ListQuery:
    """Validate a ``list`` body for ``entity`` whose records have the fields ``known``.

    Raises ``QueryError`` on an unknown filter or sort field or a malformed value.
    """
    raw_columns = body.get(f.LIST_COLUMNS) or {}
    if not isinstance(raw_columns, Mapping):
        raise QueryError("columns must be an object")
    columns: dict[str, Any] = {}
    for key, value in raw_columns.items():
        if key not in known:
            raise QueryError(f"unknown filter field {key!r} for {entity}")
        columns[key] = _filter(entity, key, value)
    return ListQuery(
        columns=columns,
        sort=_sort(body.get(f.LIST_SORT), known=known),
        limit=min(_positive(body.get(f.LIST_LIMIT), f.LIST_LIMIT, DEFAULT_LIMIT), MAX_LIMIT),
        page=_positive(body.get(f.LIST_PAGE), f.LIST_PAGE, 1),
        fields=_fields(body.get(f.LIST_FIELDS)),
    )


def run_list(
    query: ListQuery,
    records: Iterable[Mapping[str, Any]],
    *,
    render: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """``{"total": N, "items": [...]}``: the matching records, sorted, one page, rendered."""
    matching = [record for record in records if _matches(record, query.columns)]
    matching.sort(key=lambda record: record[f.ID])
    for key, descending in reversed(query.sort):
        try:
            matching.sort(key=partial(_sort_key, key=key), reverse=descending)
        except TypeError as exc:
            raise QueryError(f"cannot sort by {key!r}: mixed value types") from exc
    start = (query.page - 1) * query.limit
    items = [render(record) for record in matching[start : start + query.limit]]
    if query.fields is not None:
        wanted = (f.ID, *query.fields)
        items = [{key: item[key] for key in wanted if key in item} for item in items]
    return {f.LIST_TOTAL: len(matching), f.LIST_ITEMS: items}


def comparable(value: Any) -> Any:
    """A stored value as filters and sorting compare it (dates as Unix seconds)."""
    return unix_date(value) if isinstance(value, date) else value


def _filter(entity: str, key: str, value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_scalar(entity, key, item) for item in value)
    if isinstance(value, Mapping) and (f.RANGE_FROM in value or f.RANGE_TO in value):
        if set(value) - {f.RANGE_FROM, f.RANGE_TO}:
            raise QueryError(f"{key}: a range has only 'from' and 'to'")
        low, high = value.get(f.RANGE_FROM), value.get(f.RANGE_TO)
        return Range(
            low=None if low is None else _scalar(entity, key, low),
            high=None if high is None else _scalar(entity, key, high),
        )
    return _scalar(entity, key, value)


def _scalar(entity: str, key: str, value: Any) -> Any:
    spec = ENTITIES[entity].get(key)
    if spec is None or value is None:
        return value
    try:
        if spec.kind == "date":
            # A bound may be any Unix instant; a calendar date is turned into one.
            return value if isinstance(value, int) else unix_date(to_date(value))
        if spec.kind in ("ref", "bool", "day", "minutes", "count"):
            return coerce(spec, value)
    except ValueError as exc:
        raise QueryError(f"{key}: {exc}") from exc
    return value


def _matches(record: Mapping[str, Any], columns: Mapping[str, Any]) -> bool:
    for key, wanted in columns.items():
        value = comparable(record.get(key))
        if isinstance(wanted, tuple):
            if value not in wanted:
                return False
        elif isinstance(wanted, Range):
            if not _in_range(value, wanted, key):
                return False
        elif value != wanted:
            return False
    return True


def _in_range(value: Any, bounds: Range, key: str) -> bool:
    if value is None:
        return False
    try:
        return (bounds.low is None or value >= bounds.low) and (
            bounds.high is None or value <= bounds.high
        )
    except TypeError as exc:
        raise QueryError(f"{key}: the range bounds do not compare with its values") from exc


def _sort_key(record: Mapping[str, Any], *, key: str) -> tuple[bool, Any]:
    value = comparable(record.get(key))
    return (value is not None, value)


def _sort(raw: Any, *, known: set[str]) -> tuple[tuple[str, bool], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise QueryError('sort must be an object like {"field": "asc"}')
    order: list[tuple[str, bool]] = []
    for key, direction in raw.items():
        if key not in known:
            raise QueryError(f"unknown sort field {key!r}")
        if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
            raise QueryError(f"sort {key!r}: expected 'asc' or 'desc', got {direction!r}")
        order.append((key, direction.lower() == "desc"))
    return tuple(order)


def _positive(raw: Any, name: str, default: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise QueryError(f"{name} must be a positive integer, got {raw!r}")
    return raw


def _fields(raw: Any) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise QueryError("fields must be a list of field names")
    return tuple(raw)
