"""``ArqOutbox``: the ``Outbox`` port as an arq job per message (contract §9: every outgoing
message goes through Redis to the worker).

The job id is ``out:{message.id}``: putting the same message twice queues it once (arq refuses a
job id that is queued, running, or whose result it still keeps), and the worker's sent marker
covers the time after that.
"""

from __future__ import annotations

import structlog
from arq.connections import ArqRedis
from redis.asyncio import Redis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import OutboundMessage

log = structlog.get_logger(__name__)

SEND_OUTBOUND = "send_outbound"  # the arq job's name (jobs.send_outbound)


def outbound_job_id(message_id: str) -> str:
    return f"out:{message_id}"


def arq_pool(redis: Redis) -> ArqRedis:
    """An ``ArqRedis`` on the connection pool of an existing client, so a process keeps one
    pool; closing either closes both. Over the embedded fakeredis it can enqueue, but no arq
    worker can run there (arq needs ``INFO``): jobs queued in an embedded process stay queued.
    """
    return ArqRedis(pool_or_conn=redis.connection_pool)


async def wake_worker(redis: Redis, key: str) -> None:
    """Tell an idle worker that a job is queued (the list holds one token at most)."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.lpush(key, 1)
        pipe.ltrim(key, 0, 0)
        await pipe.execute()


class ArqOutbox:
    """Queues each message as a ``send_outbound`` job on the worker's queue.

    ``put`` returns once Redis has stored the job (a transaction on the job key and the queue);
    it raises ``redis.RedisError`` when Redis cannot be reached, and then nothing was queued.
    """

    def __init__(self, pool: ArqRedis, *, keys: RedisKeys) -> None:
        self._pool = pool
        self._queue = keys.arq_queue()
        self._wake = keys.outbound_wake()

    async def put(self, message: OutboundMessage) -> None:
        job = await self._pool.enqueue_job(
            SEND_OUTBOUND,
            message.model_dump_json(),
            _job_id=outbound_job_id(message.id),
            _queue_name=self._queue,
        )
        if job is not None:
            await wake_worker(self._pool, self._wake)
        log.info(
            "outbound_queued" if job is not None else "outbound_already_queued",
            message_id=message.id,
            channel=message.channel.value,
            trace_id=message.trace_id,
        )
