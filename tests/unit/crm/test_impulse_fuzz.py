"""Fuzzing the Impulse client's reading of CRM answers: whatever the CRM sends (any status,
content type, realistic records with wrong field types, raw garbage), every client method
either returns its typed result or raises a ``CrmError`` — never anything else, which would
crash a conversation turn (and a 5xx nowhere: the webhook never calls the CRM).

The CRM is faked at the transport (``httpx.MockTransport``): this is the one thing the
emulator cannot be asked to do — answer nonsense. ``FUZZ_EXAMPLES`` scales the run
(``make fuzz`` runs ≥ 10,000); ``make test`` runs a bounded number.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dancebot.adapters.crm.impulse import fields as f
from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.settings import ImpulseSettings
from dancebot.domain.crm import Booking, CrmClient, Group, Lesson, LessonRef
from dancebot.domain.errors import CrmError

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
TZ = ZoneInfo("Asia/Vladivostok")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
FIELDS = [
    f.ID, f.NAME, f.LAST_NAME, f.DELETED, f.ARCHIVED, f.CREATED, f.GROUP_STYLE,
    f.GROUP_TEACHER, f.GROUP_PLACES, f.SCHEDULE_GROUP, f.SCHEDULE_HALL, f.SCHEDULE_TEACHER,
    f.SCHEDULE_DAY, f.SCHEDULE_MINUTES_BEGIN, f.SCHEDULE_MINUTES_END, f.SCHEDULE_DATE_BEGIN,
    f.SCHEDULE_DATE_END, f.CLIENT_PHONE, f.RESERVATION_CLIENT, f.RESERVATION_SCHEDULE,
    f.RESERVATION_DATE,
]  # fmt: skip

_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.integers(min_value=0, max_value=2_000_000_000),  # ids, minutes, unix dates
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["2026-03-04", "79991234567", "+7 999 123-45-67", "", "null", "1e309"]),
)
_json = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
_value = st.one_of(_scalar, st.fixed_dictionaries({f.ID: _scalar}), _json)


def _realistic() -> dict[str, Any]:
    """A schedule rule as the CRM sends it, for mutation."""
    return {
        f.ID: 100, f.SCHEDULE_GROUP: {f.ID: 10}, f.SCHEDULE_HALL: 1, f.SCHEDULE_TEACHER: 1,
        f.SCHEDULE_DAY: 3, f.SCHEDULE_MINUTES_BEGIN: 1140, f.SCHEDULE_MINUTES_END: 1230,
        f.SCHEDULE_DATE_BEGIN: 1767225600, f.SCHEDULE_DATE_END: 1814400000, f.NAME: "Contemporary",
        f.GROUP_PLACES: 12, f.RESERVATION_CLIENT: 500, f.RESERVATION_SCHEDULE: 100,
        f.RESERVATION_DATE: 1772582400, f.CLIENT_PHONE: "79990010501", f.DELETED: False,
    }  # fmt: skip


_record = st.one_of(
    st.builds(
        lambda changes, dropped: {
            k: v for k, v in {**_realistic(), **changes}.items() if k not in dropped
        },
        st.dictionaries(st.sampled_from(FIELDS), _value, max_size=4),
        st.sets(st.sampled_from(FIELDS), max_size=4),
    ),
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), _value, max_size=8),
)
_list_body = st.fixed_dictionaries(
    {
        f.LIST_TOTAL: st.one_of(st.integers(-5, 10_000), _scalar),
        f.LIST_ITEMS: st.one_of(st.lists(_record, max_size=4), _json),
    }
)
_error_body = st.fixed_dictionaries(
    {
        f.ERROR: st.one_of(
            st.fixed_dictionaries(
                {
                    f.ERROR_CODE: st.sampled_from(
                        [
                            f.CODE_NOT_FOUND,
                            f.CODE_PLACE_LIMIT,
                            f.CODE_ALREADY_BOOKED,
                            f.CODE_LESSON_IN_PAST,
                            f.CODE_VALIDATION,
                            "other",
                        ]
                    )
                    | _scalar,
                    f.ERROR_MESSAGE: _scalar,
                }
            ),
            _json,
        )
    }
)
_json_body = st.one_of(_list_body, _record, _error_body, _json).map(
    lambda body: json.dumps(body, allow_nan=True).encode()
)
_raw_body = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"",
            b"<html><form action='/login'><input type=password></form></html>",
            b"<html><body>502 Bad Gateway</body></html>",
            b'{"total": 1, "items": [',
            b"\xff\xfe{}",
        ]
    ),
)
_content_type = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/problem+json",
        "text/html",
        "text/plain",
        "",
    ]
)
_status = st.one_of(
    st.sampled_from([200, 200, 200, 201, 204, 301, 302, 400, 401, 403, 404, 409, 422, 429, 500]),
    st.integers(min_value=100, max_value=599),
)
_answer = st.tuples(_status, _content_type, st.one_of(_json_body, _json_body, _raw_body))
_headers = st.sampled_from(
    [{}, {"retry-after": "3"}, {"retry-after": "soon"}, {"location": "/login"}]
)


def _client(answers: list[tuple[int, str, bytes]], headers: dict[str, str]) -> ImpulseClient:
    queue = list(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        status, kind, body = queue.pop(0) if len(queue) > 1 else queue[0]
        extra = {"content-type": kind} if kind else {}
        return httpx.Response(status, headers={**extra, **headers}, content=body)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://crm.test")
    crm_settings = ImpulseSettings(
        base_url="http://crm.test", api_key="k", read_retries=0, retry_wait=0, retry_wait_max=0
    )
    return ImpulseClient(http=http, settings=crm_settings, tz=TZ, now=lambda: NOW)


async def _call(client: ImpulseClient, method: int) -> object:
    lesson = LessonRef(schedule_id=100, date=date(2026, 3, 4))
    calls = [
        lambda: client.get_schedule(date_from=date(2026, 3, 2), date_to=date(2026, 3, 15)),
        client.get_groups,
        lambda: client.find_client("+79991234567"),
        lambda: client.create_client(name="Мария", phone="+79991234567"),
        lambda: client.create_booking(client_id=500, lesson=lesson),
        lambda: client.list_bookings(client_id=500, date_from=date(2026, 3, 2)),
        lambda: client.cancel_booking(9000),
        client.health_check,
    ]
    return await calls[method]()


_EXPECTED = (list, CrmClient, Booking, bool, type(None))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    answers=st.lists(_answer, min_size=1, max_size=4),
    headers=_headers,
    method=st.integers(min_value=0, max_value=7),
)
def test_any_crm_answer_gives_a_result_or_a_crm_error(
    answers: list[tuple[int, str, bytes]], headers: dict[str, str], method: int
) -> None:
    async def run() -> None:
        client = _client(answers, headers)
        try:
            result = await _call(client, method)
        except CrmError:
            return
        assert isinstance(result, _EXPECTED), type(result)
        if isinstance(result, list):
            assert all(isinstance(item, Lesson | Group | Booking) for item in result)

    asyncio.run(run())
