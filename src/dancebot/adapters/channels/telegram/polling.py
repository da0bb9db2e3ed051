"""Long polling (Bot API getUpdates) for development and for hosts without a public HTTPS URL.

Each raw update (the JSON object exactly as Telegram sent it) goes to ``on_update``, the same
entry the webhook uses, so polling and webhooks share one inbound pipeline. An update counts
as confirmed only after ``on_update`` returned: if it raises, the loop backs off and asks for
that update again (at-least-once; inbound dedup makes the repeat harmless). On stop, what
was handled is confirmed to Telegram, so a restart does not receive it again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import structlog

from dancebot.adapters.channels.telegram.botapi import BotApi, TokenRefused
from dancebot.adapters.channels.telegram.inbound import ALLOWED_UPDATES
from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.ports.channels import ChannelRateLimited, ChannelRejected, ChannelUnavailable

log = structlog.get_logger(__name__)

T = TypeVar("T")
_NETWORK_SLACK = 10  # seconds the HTTP request may take beyond the long-poll wait


async def run_polling(
    sender_or_api: TelegramSender | BotApi,
    *,
    on_update: Callable[[dict[str, Any]], Awaitable[None]],
    stop: asyncio.Event,
    timeout: int = 25,  # noqa: ASYNC109 - Telegram's long-poll wait, not a deadline for us
    first_backoff: float = 1.0,
    max_backoff: float = 30.0,
) -> int:
    """Poll until ``stop`` is set; returns how many updates were handed to ``on_update``.

    Deletes any webhook first (Telegram refuses getUpdates while one is set; pending updates
    are kept). Errors back off ``first_backoff`` doubling up to ``max_backoff`` (a 429 waits
    its ``retry_after``). Raises ``ChannelRejected`` when the token is refused (401): no
    amount of waiting fixes that.
    """
    api = sender_or_api.api if isinstance(sender_or_api, TelegramSender) else sender_or_api
    offset: int | None = None
    handed = 0
    delay = first_backoff
    webhook_deleted = False
    while not stop.is_set():
        try:
            if not webhook_deleted:
                delete = api.call("deleteWebhook", {"drop_pending_updates": False})
                await _until_stopped(delete, stop)
                webhook_deleted = True
            updates = await _until_stopped(_get_updates(api, offset=offset, wait=timeout), stop)
            if updates is None:
                break  # stopped while waiting
            for update in updates:
                if stop.is_set():
                    break  # the rest stays unconfirmed: Telegram hands it over next time
                update_id = update.get("update_id")
                if not isinstance(update_id, int):
                    log.warning("telegram_update_without_id")
                    continue
                await on_update(update)
                handed += 1
                offset = max(offset or 0, update_id + 1)
            delay = first_backoff
        except TokenRefused:
            raise ChannelRejected("Telegram refused the bot token (401)") from None
        except ChannelRateLimited as exc:
            retry_after = exc.retry_after if exc.retry_after is not None else delay
            log.warning("telegram_polling_rate_limited", retry_after=retry_after)
            await _sleep_unless_stopped(retry_after, stop)
        except Exception as exc:  # the loop must outlive any one failure
            log.warning(
                "telegram_polling_failed",
                error_type=type(exc).__name__,
                reason=api.redact(str(exc)),
                retry_in=delay,
            )
            await _sleep_unless_stopped(delay, stop)
            delay = min(delay * 2, max_backoff)
    if offset is not None:
        await _confirm(api, offset)
    return handed


async def _confirm(api: BotApi, offset: int) -> None:
    """Tell Telegram the handled updates are done (an offset above them confirms them), so a
    restart does not get them again. Best effort: a failure only means a repeat later."""
    params = {"offset": offset, "timeout": 0, "limit": 1}
    try:
        await api.call("getUpdates", params, timeout=_NETWORK_SLACK)
    except Exception as exc:
        log.info("telegram_polling_confirm_failed", reason=api.redact(str(exc)))


async def _get_updates(api: BotApi, *, offset: int | None, wait: int) -> list[dict[str, Any]]:
    """The raw updates (Telegram's JSON as sent: the pipeline parses them itself).
    Raises ``ChannelUnavailable`` when the answer is not a list of objects."""
    params = {"offset": offset, "timeout": wait, "allowed_updates": list(ALLOWED_UPDATES)}
    raw = await api.call("getUpdates", params, timeout=wait + _NETWORK_SLACK)
    if not isinstance(raw, list) or not all(isinstance(update, dict) for update in raw):
        raise ChannelUnavailable("getUpdates: the answer is not a list of updates")
    return raw


async def _until_stopped(call: Coroutine[Any, Any, T], stop: asyncio.Event) -> T | None:
    """``await call``, unless ``stop`` is set first: then the call is cancelled, None."""
    task = asyncio.ensure_future(call)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # cancelled from outside: leave nothing running
        task.cancel()
        raise
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


async def _sleep_unless_stopped(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
