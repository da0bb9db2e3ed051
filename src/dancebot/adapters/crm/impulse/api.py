"""Impulse's four actions over HTTP: URL, auth, timeout, answer checking, logging, retries.

Reads (``list``, ``load``) are retried with exponential backoff on a ``CrmUnavailable`` other
than ``CrmAuthError`` (a refused key does not heal by asking again). Writes (``update``,
``delete``) are never retried here: whether a lost write went through is the caller's
question to answer by reading (see ``client.py``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential

from dancebot.adapters.crm.impulse import fields as f
from dancebot.adapters.crm.impulse.auth import authorization_header
from dancebot.adapters.crm.impulse.errors import Shape, read_answer
from dancebot.adapters.crm.impulse.settings import ImpulseSettings
from dancebot.domain.errors import (
    CrmAuthError,
    CrmBadResponse,
    CrmError,
    CrmRateLimited,
    CrmTimeout,
    CrmUnavailable,
)

log = structlog.get_logger(__name__)

Record = dict[str, Any]
Columns = dict[str, Any]

_MAX_PAGES = 1000  # a CRM that keeps answering pages forever is broken, not big


class ImpulseApi:
    """Low-level Impulse calls. Every method raises a ``CrmError`` on failure."""

    def __init__(self, *, http: httpx.AsyncClient, settings: ImpulseSettings) -> None:
        self._http = http
        self._settings = settings
        self._headers = {
            "Authorization": authorization_header(
                settings.api_key.get_secret_value(), settings.auth_scheme
            ),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._backoff = wait_exponential(
            multiplier=settings.retry_wait, max=settings.retry_wait_max
        )

    async def list_all(
        self, entity: str, *, columns: Columns | None = None, retry: bool = True
    ) -> list[Record]:
        """Every record of ``entity`` matching ``columns``, read page by page (by id)."""
        limit = self._settings.page_size
        records: list[Record] = []
        for page in range(1, _MAX_PAGES + 1):
            total, items = await self.list_page(
                entity, page=page, limit=limit, columns=columns, retry=retry
            )
            records.extend(items)
            if not items or len(records) >= total:
                return records
        raise CrmBadResponse(f"Impulse {entity}/list did not end after {_MAX_PAGES} pages")

    async def list_page(
        self,
        entity: str,
        *,
        page: int,
        limit: int,
        columns: Columns | None = None,
        retry: bool = True,
    ) -> tuple[int, list[Record]]:
        """One page of ``entity/list``: ``(total, items)``."""
        body: Record = {f.LIST_LIMIT: limit, f.LIST_PAGE: page, f.LIST_SORT: {f.ID: f.SORT_ASC}}
        if columns:
            body[f.LIST_COLUMNS] = columns
        answer = await self._read("POST", entity, f.LIST, json=body, shape="list", retry=retry)
        return int(answer[f.LIST_TOTAL]), list(answer[f.LIST_ITEMS])

    async def load(self, entity: str, record_id: int) -> Record:
        """``entity/load?id=`` (retried like every read)."""
        answer: Record = await self._read(
            "GET", entity, f.LOAD, params={f.ID: record_id}, shape="object", retry=True
        )
        return answer

    async def update(self, entity: str, body: Record) -> Record:
        """``entity/update``: creates without ``id``, modifies with it. Never retried."""
        answer: Record = await self._call("POST", entity, f.UPDATE, json=body, shape="object")
        return answer

    async def delete(self, entity: str, record_id: int) -> Record:
        """``entity/delete``. Never retried."""
        answer: Record = await self._call(
            "POST", entity, f.DELETE, json={f.ID: record_id}, shape="object"
        )
        return answer

    async def _read(
        self,
        method: str,
        entity: str,
        action: str,
        *,
        shape: Shape,
        retry: bool,
        json: Record | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        attempts = self._settings.read_retries + 1 if retry else 1
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=self._wait,
            retry=retry_if_exception(_worth_retrying),
            before_sleep=_log_retry,
            reraise=True,
        )
        return await retrying(
            self._call, method, entity, action, json=json, params=params, shape=shape
        )

    async def _call(
        self,
        method: str,
        entity: str,
        action: str,
        *,
        shape: Shape,
        json: Record | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        url = self._settings.endpoint(entity, action)
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            response = await self._send(method, url, json=json, params=params)
            status = response.status_code
            return read_answer(response, shape=shape)
        except CrmError as exc:
            error = type(exc).__name__
            raise
        finally:
            _log_call(entity, action, status, started, error=error)

    async def _send(
        self, method: str, url: str, *, json: Record | None, params: dict[str, Any] | None
    ) -> httpx.Response:
        """One HTTP exchange; transport failures become ``CrmUnavailable`` subclasses."""
        timeout = self._settings.timeout
        try:
            # asyncio.timeout too: an in-process ASGI transport ignores httpx's timeouts
            async with asyncio.timeout(timeout):
                return await self._http.request(
                    method, url, json=json, params=params, headers=self._headers, timeout=timeout
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise CrmTimeout(f"Impulse gave no answer in {timeout}s") from exc
        except httpx.TransportError as exc:
            raise CrmUnavailable(f"Impulse unreachable: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise CrmBadResponse(f"Impulse answer unreadable: {type(exc).__name__}") from exc

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff; a 429's ``Retry-After`` lengthens it up to the maximum."""
        seconds = float(self._backoff(state))
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, CrmRateLimited) and exc.retry_after is not None:
            seconds = max(seconds, min(exc.retry_after, self._settings.retry_wait_max))
        return seconds


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, CrmUnavailable) and not isinstance(exc, CrmAuthError)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning(
        "impulse_retry",
        attempt=state.attempt_number,
        error=type(exc).__name__ if exc else None,
        wait_s=round(state.upcoming_sleep, 3),
    )


def _log_call(
    entity: str, action: str, status: int | None, started: float, *, error: str | None
) -> None:
    """Entity, action, status and latency only: never the body, the URL query or headers."""
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    level = log.info if error is None else log.warning
    level(
        "impulse_call",
        entity=entity,
        action=action,
        status=status,
        latency_ms=latency_ms,
        error=error,
    )
