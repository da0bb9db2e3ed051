"""Impulse HTTP answers → data or a typed domain error (never an error page parsed as data).

The mapping table (docs/impulse_api.md "Refusals" and "Failure modes"):

| answer                                         | error                         |
|------------------------------------------------|-------------------------------|
| 2xx JSON of the expected shape                 | data                          |
| 200 HTML with a login form; 3xx to a login URL | ``CrmAuthError``              |
| 401 / 403                                      | ``CrmAuthError``              |
| other HTML / non-JSON / wrong shape / 3xx      | ``CrmBadResponse(status)``    |
| 4xx JSON ``{"error": {"code": …}}``            | by code, see ``REFUSALS``     |
| 404 JSON without a known code                  | ``NotFound``                  |
| other 4xx JSON without a known code            | ``InvalidRequest``            |
| 404 HTML (an unknown path)                     | ``CrmBadResponse(status=404)``|
| 429                                            | ``CrmRateLimited(retry_after)``|
| 5xx                                            | ``CrmServerError(status)``    |
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import httpx

from dancebot.adapters.crm.impulse import fields as f
from dancebot.domain.errors import (
    AlreadyBooked,
    CrmAuthError,
    CrmBadResponse,
    CrmError,
    CrmRateLimited,
    CrmRefusal,
    CrmServerError,
    InvalidRequest,
    LessonFull,
    LessonInPast,
    NotFound,
)
from dancebot.nlu.phone import mask_phone

Shape = Literal["list", "object"]

REFUSALS: dict[str, type[CrmRefusal]] = {
    f.CODE_NOT_FOUND: NotFound,
    f.CODE_PLACE_LIMIT: LessonFull,
    f.CODE_ALREADY_BOOKED: AlreadyBooked,
    f.CODE_LESSON_IN_PAST: LessonInPast,
    f.CODE_VALIDATION: InvalidRequest,
}

_PHONE_LIKE = re.compile(r"\+?\d[\d\s()\-]{5,}\d")
_LOGIN_FORM = re.compile(r"<form[^>]*(login|signin|auth)|type=[\"']?password", re.IGNORECASE)


def read_answer(response: httpx.Response, *, shape: Shape) -> Any:
    """The JSON body of a data answer, checked against ``shape``: ``list`` wants
    ``{"total": int, "items": [objects]}``, ``object`` wants a JSON object.

    Raises the ``CrmError`` the table in this module's docstring gives for anything else.
    """
    status = response.status_code
    if status == 429:
        raise CrmRateLimited(
            "Impulse rate limit", retry_after=_retry_after(response.headers.get("retry-after"))
        )
    if status >= 500:
        raise CrmServerError(f"Impulse answered HTTP {status}", status=status)
    if status in (401, 403):
        raise CrmAuthError(f"Impulse refused the API key (HTTP {status})")
    if 300 <= status < 400:
        if "login" in response.headers.get("location", "").lower():
            raise CrmAuthError("Impulse redirected to its login page: the API key was refused")
        raise CrmBadResponse(f"unexpected redirect HTTP {status}", status=status)
    if status >= 400:
        raise _refusal(response)
    if status < 200 or status >= 300:
        raise CrmBadResponse(f"unexpected HTTP {status}", status=status)
    body = _json_body(response)
    _check_shape(body, shape=shape, status=status)
    return body


def _json_body(response: httpx.Response) -> Any:
    """The parsed JSON of a 2xx answer; an HTML login page is an auth failure (Impulse says
    "bad key" with HTTP 200), anything else that is not JSON is a bad response."""
    status = response.status_code
    if not _is_json(response):
        if _is_html(response) and _LOGIN_FORM.search(response.text):
            raise CrmAuthError("Impulse answered with its login page: the API key was refused")
        kind = response.headers.get("content-type", "no content type")
        raise CrmBadResponse(f"Impulse answered {kind} instead of JSON", status=status)
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise CrmBadResponse("Impulse answered malformed JSON", status=status) from exc


def _check_shape(body: Any, *, shape: Shape, status: int) -> None:
    if not isinstance(body, dict):
        raise CrmBadResponse("Impulse answered JSON that is not an object", status=status)
    if f.ERROR in body and isinstance(body[f.ERROR], dict):
        raise _refusal_from_body(body, status=status)
    if shape == "list":
        total, items = body.get(f.LIST_TOTAL), body.get(f.LIST_ITEMS)
        if not isinstance(total, int) or isinstance(total, bool) or not isinstance(items, list):
            raise CrmBadResponse("Impulse list answer lacks total/items", status=status)
        if not all(isinstance(item, dict) for item in items):
            raise CrmBadResponse("Impulse list items are not objects", status=status)


def _refusal(response: httpx.Response) -> CrmError:
    """A 4xx: a JSON body names the refusal; an HTML page means we hit the wrong place."""
    status = response.status_code
    if not _is_json(response):
        return CrmBadResponse(f"Impulse answered HTTP {status} without data", status=status)
    try:
        body = json.loads(response.content)
    except ValueError:
        return CrmBadResponse(f"Impulse answered HTTP {status} with bad JSON", status=status)
    return _refusal_from_body(body, status=status)


def _refusal_from_body(body: Any, *, status: int) -> CrmError:
    error = body.get(f.ERROR) if isinstance(body, dict) else None
    code = error.get(f.ERROR_CODE) if isinstance(error, dict) else None
    message = error.get(f.ERROR_MESSAGE) if isinstance(error, dict) else None
    text = f"Impulse refused: {code or 'no code'} (HTTP {status})"
    if isinstance(message, str) and message:
        # the CRM may echo a field's value (a phone) back: error texts end up in logs
        text = f"{text}: {_PHONE_LIKE.sub(lambda m: mask_phone(m.group()), message)}"
    if isinstance(code, str) and code in REFUSALS:
        return REFUSALS[code](text)
    if status == 404:
        return NotFound(text)
    return InvalidRequest(text)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header; an HTTP-date or garbage gives None."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _content_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def _is_json(response: httpx.Response) -> bool:
    kind = _content_type(response)
    return kind == "application/json" or kind.endswith("+json")


def _is_html(response: httpx.Response) -> bool:
    return _content_type(response) in ("text/html", "application/xhtml+xml")
