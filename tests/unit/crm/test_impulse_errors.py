"""The mapping table: every kind of Impulse answer → data or its typed error."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from dancebot.adapters.crm.impulse.errors import Shape, read_answer
from dancebot.domain.errors import (
    AlreadyBooked,
    CrmAuthError,
    CrmBadResponse,
    CrmError,
    CrmRateLimited,
    CrmServerError,
    InvalidRequest,
    LessonFull,
    LessonInPast,
    NotFound,
)

LOGIN_PAGE = (
    '<html><body><h1>Вход</h1><form action="/login" method="post">'
    '<input name="login"><input type="password" name="password"></form></body></html>'
)
JSON = {"content-type": "application/json"}
HTML = {"content-type": "text/html; charset=utf-8"}


def answer(
    status: int, body: Any = None, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = body if isinstance(body, str | bytes) else json.dumps(body)
    return httpx.Response(status, headers=headers or JSON, content=content)


def refusal(status: int, code: str) -> httpx.Response:
    return answer(status, {"error": {"code": code, "message": "нет"}})


@pytest.mark.parametrize(
    ("response", "error", "status"),
    [
        pytest.param(answer(200, LOGIN_PAGE, headers=HTML), CrmAuthError, None, id="login-page"),
        pytest.param(answer(200, "<html>hi</html>", headers=HTML), CrmBadResponse, 200, id="html"),
        pytest.param(
            answer(200, '{"total": 0, "items": []}', headers={"content-type": "text/plain"}),
            CrmBadResponse,
            200,
            id="json-text-plain",
        ),
        pytest.param(answer(200, b"{not json"), CrmBadResponse, 200, id="bad-json"),
        pytest.param(answer(200, {"items": []}), CrmBadResponse, 200, id="no-total"),
        pytest.param(answer(200, {"total": 1, "items": [1]}), CrmBadResponse, 200, id="bad-items"),
        pytest.param(answer(200, [1, 2]), CrmBadResponse, 200, id="json-array"),
        pytest.param(
            answer(404, "<h1>Not Found</h1>", headers=HTML), CrmBadResponse, 404, id="404"
        ),
        pytest.param(refusal(404, "not_found"), NotFound, None, id="not-found"),
        pytest.param(answer(404, {"error": {}}), NotFound, None, id="404-json-no-code"),
        pytest.param(refusal(409, "place_limit"), LessonFull, None, id="place-limit"),
        pytest.param(refusal(409, "already_booked"), AlreadyBooked, None, id="already-booked"),
        pytest.param(refusal(422, "lesson_in_past"), LessonInPast, None, id="lesson-in-past"),
        pytest.param(refusal(400, "validation"), InvalidRequest, None, id="validation"),
        pytest.param(refusal(418, "teapot"), InvalidRequest, None, id="unknown-code"),
        pytest.param(refusal(200, "place_limit"), LessonFull, None, id="refusal-with-200"),
        pytest.param(answer(401, "no", headers=HTML), CrmAuthError, None, id="401"),
        pytest.param(answer(403, {"error": {}}), CrmAuthError, None, id="403"),
        pytest.param(
            answer(302, "", headers={"location": "/login?next=/api"}), CrmAuthError, None, id="302"
        ),
        pytest.param(
            answer(301, "", headers={"location": "https://x/"}), CrmBadResponse, 301, id="301"
        ),
        pytest.param(answer(500, "oops", headers=HTML), CrmServerError, 500, id="500"),
        pytest.param(
            answer(502, "<h1>Bad Gateway</h1>", headers=HTML), CrmServerError, 502, id="502"
        ),
        pytest.param(answer(503, {"error": {"code": "x"}}), CrmServerError, 503, id="503-json"),
    ],
)
def test_answer_maps_to_its_error(
    response: httpx.Response, error: type[CrmError], status: int | None
) -> None:
    with pytest.raises(error) as caught:
        read_answer(response, shape="list")

    assert type(caught.value) is error
    if status is not None:
        assert caught.value.status == status  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("header", "retry_after"),
    [("7", 7.0), ("0.5", 0.5), (None, None), ("Wed, 21 Oct 2026 07:28:00 GMT", None), ("-3", None)],
)
def test_rate_limit_carries_retry_after(header: str | None, retry_after: float | None) -> None:
    headers = {"content-type": "text/html"} | ({"retry-after": header} if header else {})
    with pytest.raises(CrmRateLimited) as caught:
        read_answer(answer(429, "slow down", headers=headers), shape="object")
    assert caught.value.retry_after == retry_after


@pytest.mark.parametrize(
    ("body", "shape", "content_type"),
    [
        ({"total": 2, "items": [{"id": 1}, {"id": 2}]}, "list", "application/json"),
        ({"id": 9000, "deleted": True}, "object", "application/json; charset=utf-8"),
        ({"id": 1, "name": "Мария"}, "object", "application/vnd.impulse+json"),
    ],
)
def test_data_answers_are_returned(body: dict[str, Any], shape: Shape, content_type: str) -> None:
    response = answer(200, body, headers={"content-type": content_type})
    assert read_answer(response, shape=shape) == body


def test_an_object_answer_is_not_required_to_be_a_list() -> None:
    assert read_answer(answer(200, {"id": 5}), shape="object") == {"id": 5}
    with pytest.raises(CrmBadResponse):
        read_answer(answer(200, {"id": 5}), shape="list")


def test_a_phone_echoed_in_a_refusal_is_masked() -> None:
    response = answer(
        400, {"error": {"code": "validation", "message": "phone: bad value '+7 999 123-45-67'"}}
    )
    with pytest.raises(InvalidRequest) as caught:
        read_answer(response, shape="object")
    assert "+7999****567" in str(caught.value)
    assert "123-45-67" not in str(caught.value)
