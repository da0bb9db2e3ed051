"""The arq worker's settings (``dancebot worker``): the outbound delivery job, its dependencies
built at start by a function the caller supplies, and room for cron jobs.

    settings = worker_settings(build, keys=keys, redis_settings=RedisSettings.from_dsn(url))
    arq.run_worker(settings)           # or: arq.worker.create_worker(settings, burst=True)

``build`` is entered in ``on_startup`` and left in ``on_shutdown``, so whatever it opens
(database engine, HTTP clients of the senders) lives exactly as long as the worker.

``ResilientWorker`` (what ``dancebot worker`` runs) carries on through a Redis restart: arq's
own poll loop would raise ``ConnectionError`` and end the process.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

import structlog
from arq.connections import ArqRedis, RedisSettings
from arq.cron import CronJob
from arq.worker import Function, Worker, func, get_kwargs
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

from dancebot.adapters.queue.jobs import DEPS, OUTBOX, WorkerDeps, send_outbound
from dancebot.adapters.queue.outbox import SEND_OUTBOUND, ArqOutbox
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.privacy import mask_phones_in_text

# arq stops a job after this many runs without calling it; the job gives up by itself at
# ``RetryPolicy.max_job_tries`` (below this), so arq's limit is never what ends a message.
ARQ_MAX_TRIES = 100_000
SEND_JOB_TIMEOUT_SECONDS = 120  # a send (≤ 30 s by default) plus Redis and the dead-letter write
KEEP_RESULT_SECONDS = 24 * 3600  # while kept, putting the same message again queues nothing
_STACK = "dancebot_exit_stack"
# An idle worker waits this long on the wake list before looking at the queue again (jobs
# deferred to a later time, e.g. a retry, are seen within it); arq's own poll sleep is off.
IDLE_WAIT_SECONDS = 0.2
FULL_WAIT_SECONDS = 0.01  # every job slot busy: look again very soon
MIN_WAIT_SECONDS = 0.005
RECONNECT_FIRST_DELAY = 0.5  # seconds; doubled after each failed poll while Redis is away
RECONNECT_MAX_DELAY = 10.0
# what a Redis that restarts, loads its data or cannot be reached raises
REDIS_AWAY = (RedisConnectionError, RedisTimeoutError, OSError)

log = structlog.get_logger(__name__)

BuildDeps = Callable[[], AbstractAsyncContextManager[WorkerDeps]]


def worker_settings(
    build: BuildDeps,
    *,
    keys: RedisKeys,
    redis_settings: RedisSettings | None = None,
    redis_pool: ArqRedis | None = None,
    cron_jobs: Sequence[CronJob] = (),
    functions: Sequence[Function] = (),
    send_job_timeout: float = SEND_JOB_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """Settings for ``arq.run_worker`` / ``arq.worker.create_worker``: exactly one of
    ``redis_settings`` (the worker opens its own pool) or ``redis_pool`` (an existing
    ``ArqRedis``, e.g. ``outbox.arq_pool(client)``). The queue is ``keys.arq_queue()``, the one
    ``ArqOutbox`` fills; ``functions``/``cron_jobs``: more work for the same worker. Raises
    ``ValueError`` when both or neither Redis is given.

    The worker needs a Redis server: arq asks it for ``INFO`` at start, which the embedded
    fakeredis does not answer (``ResponseError``)."""
    if (redis_settings is None) == (redis_pool is None):
        raise ValueError("give exactly one of redis_settings and redis_pool")

    async def on_startup(ctx: dict[str, Any]) -> None:
        install_arq_log_masking()
        stack = AsyncExitStack()
        ctx[_STACK] = stack
        deps = await stack.enter_async_context(build())
        if deps.policy.max_job_tries >= ARQ_MAX_TRIES:
            await stack.aclose()
            raise ValueError(f"RetryPolicy.max_job_tries must stay below {ARQ_MAX_TRIES}")
        ctx[DEPS] = deps
        ctx[OUTBOX] = ArqOutbox(ctx["redis"], keys=keys)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        stack: AsyncExitStack | None = ctx.pop(_STACK, None)
        if stack is not None:
            await stack.aclose()

    send = func(
        send_outbound,
        name=SEND_OUTBOUND,
        max_tries=ARQ_MAX_TRIES,
        timeout=send_job_timeout,
        keep_result=KEEP_RESULT_SECONDS,
    )
    settings: dict[str, Any] = {
        "functions": [send, *functions],
        "cron_jobs": list(cron_jobs) or None,
        "queue_name": keys.arq_queue(),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "max_tries": ARQ_MAX_TRIES,
        # a job of a dead worker is taken again this long after it started (arq adds 10 s)
        "job_timeout": send_job_timeout,
    }
    if redis_pool is not None:
        settings["redis_pool"] = redis_pool
    else:
        settings["redis_settings"] = redis_settings
    return settings


class _MaskPhones(logging.Filter):
    """arq logs each job's arguments (the message JSON, whose chat id is a phone on WhatsApp)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_phones_in_text(record.getMessage())
        record.args = None
        return True


def install_arq_log_masking() -> None:
    """Mask phones in arq's own log lines (idempotent). Filters on a logger do not apply to
    its children's records, hence each of arq's loggers by name."""
    for name in ("arq.worker", "arq.jobs", "arq.connections", "arq.cron"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _MaskPhones) for f in logger.filters):
            logger.addFilter(_MaskPhones())


class ResilientWorker(Worker):
    """arq's ``Worker`` that survives Redis going away: a poll that fails because Redis is
    unreachable is logged once per outage and retried with backoff (0.5 s doubling to
    10 s); jobs carry on once Redis is back (a job cut off mid-way runs again after its
    in-progress timeout; sending is idempotent, D14). Idle, it blocks on the queue's wake
    list instead of sleeping arq's poll delay, so a queued reply is sent at once (D61)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._failed_polls = 0
        # no fixed poll sleep: an idle worker waits on the queue's wake list (D61)
        self.poll_delay_s = 0.0
        self._wake_key = RedisKeys.wake_of_queue(self.queue_name)
        self._found_jobs = False

    async def _poll_iteration(self) -> None:
        try:
            self._found_jobs = False
            await super()._poll_iteration()
            await self._wait_for_work()
        except REDIS_AWAY as exc:
            self._failed_polls += 1
            delay = min(RECONNECT_FIRST_DELAY * 2 ** (self._failed_polls - 1), RECONNECT_MAX_DELAY)
            if self._failed_polls == 1:
                log.error("worker_redis_unavailable", error_type=type(exc).__name__)
            await asyncio.sleep(delay)
            return
        if self._failed_polls:
            log.info("worker_redis_back", failed_polls=self._failed_polls)
            self._failed_polls = 0

    async def _wait_for_work(self) -> None:
        """Replies leave as soon as they are queued: an idle worker blocks on the wake list
        (the outbox pushes to it) rather than sleeping a fixed poll delay, and no longer
        than until the next deferred job (a rate-limited send) is due (D61)."""
        if self._found_jobs:
            return
        if self.job_counter >= self.max_jobs:
            await asyncio.sleep(FULL_WAIT_SECONDS)
            return
        wait = IDLE_WAIT_SECONDS
        upcoming = await self.pool.zrange(self.queue_name, 0, 0, withscores=True)
        if upcoming:
            due_in = upcoming[0][1] / 1000 - time.time()
            wait = min(wait, max(due_in, MIN_WAIT_SECONDS))
        # redis-py types the timeout as int; Redis ≥ 6 takes seconds as a decimal (0 = forever)
        await self.pool.execute_command(  # type: ignore[no-untyped-call]
            "BLPOP", self._wake_key, round(wait, 3)
        )

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        self._found_jobs = self._found_jobs or bool(job_ids)
        for job_id in job_ids:
            try:
                await super().start_jobs([job_id])
            except REDIS_AWAY:
                # arq took a job slot (semaphore, counter) before the Redis transaction that
                # failed, and gives it back only when a job it started ends: give it back
                self.job_counter -= 1
                self.sem.release()
                raise
            except WatchError as exc:
                # redis-py reports a connection lost while a key is WATCHed as a WatchError
                # (arq catches WatchError only around EXEC): that is Redis going away too
                if "ConnectionError" not in str(exc):
                    raise
                self.job_counter -= 1
                self.sem.release()
                raise RedisConnectionError(str(exc)) from exc

    async def close(self) -> None:
        """arq's ``close`` cancels the jobs in flight and then gathers them without
        ``return_exceptions``: a job caught mid-way re-raises its ``CancelledError`` and the
        shutdown stops there, before ``on_shutdown`` closes the database and HTTP clients
        and before the Redis pool is closed. A job cut off at shutdown is expected (it runs
        again after its in-progress timeout, D14), so it is collected, not raised."""
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        if not self._pool:
            return
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        self.tasks.clear()
        await self.pool.delete(self.health_check_key)
        if self.on_shutdown:
            await self.on_shutdown(self.ctx)
        await self.pool.aclose(close_connection_pool=True)
        self._pool = None


def run_resilient_worker(settings: dict[str, Any]) -> ResilientWorker:
    """``arq.run_worker`` with ``ResilientWorker``: runs until stopped by a signal."""
    worker = ResilientWorker(**get_kwargs(settings))
    worker.run()
    return worker
