"""An aiogram session that calls an ASGI app in process (httpx ``ASGITransport``) instead of
opening sockets: the HTTP layer faked at the transport, everything above it — aiogram's
request building, response checking and error classes, our sender — runs for real.

The request is built exactly as ``AiohttpSession`` builds it (the same form fields from
``prepare_value``), so the fake sees the same wire parameters either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, cast

import httpx
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from starlette.types import ASGIApp

if TYPE_CHECKING:
    from aiogram.methods.base import TelegramType

_IN_PROCESS_BASE = "http://fake-telegram.local"


class InProcessBotSession(BaseSession):
    """``BaseSession`` over ``httpx.ASGITransport(app)``. ``timeout`` (seconds) bounds each
    call as aiohttp's would: on expiry aiogram's ``TelegramNetworkError`` is raised."""

    def __init__(self, app: ASGIApp, *, timeout: float = 5.0) -> None:
        super().__init__(api=TelegramAPIServer.from_base(_IN_PROCESS_BASE), timeout=timeout)
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=_IN_PROCESS_BASE
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's BaseSession signature
    ) -> TelegramType:
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        files: dict[str, Any] = {}
        form: dict[str, str] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                form[key] = str(prepared)
        if files:
            raise NotImplementedError("file uploads are not faked")
        try:
            async with asyncio.timeout(self.timeout if timeout is None else timeout):
                response = await self._client.post(url, data=form)
        except TimeoutError as exc:
            raise TelegramNetworkError(method=method, message="Request timeout error") from exc
        except httpx.HTTPError as exc:
            message = f"{type(exc).__name__}: {exc}"
            raise TelegramNetworkError(method=method, message=message) from exc
        checked = self.check_response(
            bot=bot, method=method, status_code=response.status_code, content=response.text
        )
        return cast("TelegramType", checked.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's BaseSession signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("file downloads are not faked")
        yield b""  # pragma: no cover - makes this an async generator, as the base declares


def in_process_bot(app: ASGIApp, *, token: str, timeout: float = 5.0) -> Bot:
    """An aiogram ``Bot`` whose every call goes to ``app`` in process."""
    return Bot(token, session=InProcessBotSession(app, timeout=timeout))
