"""Every Redis key the project uses is built here, and nowhere else (STYLE §5)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RedisKeys:
    """Key builder. ``prefix`` separates deployments (and test runs) sharing one Redis."""

    prefix: str = "dancebot"

    def _key(self, *parts: object) -> str:
        return ":".join([self.prefix, *(str(p) for p in parts)])

    # conversation state
    def session(self, channel: str, chat_id: str) -> str:
        return self._key("session", channel, chat_id)

    def session_pattern(self) -> str:
        return self._key("session", "*")

    def timeouts_due(self) -> str:
        """Sorted set: ``{channel}:{chat_id}`` of every session with a timeout coming, scored
        by the Unix time in microseconds it is due, plus one ``+inf`` member saying the index
        is complete for a policy version (D66)."""
        return self._key("timeouts", "due")

    def timeouts_claim(self, channel: str, chat_id: str) -> str:
        """Held (owner token, TTL) while one sweep acts on this chat's timeout."""
        return self._key("timeouts", "claim", channel, chat_id)

    def profile(self, channel: str, chat_id: str) -> str:
        return self._key("profile", channel, chat_id)

    # booking safety
    def idempotency(self, fingerprint: str) -> str:
        return self._key("idempotency", fingerprint)

    def chat_lock(self, channel: str, chat_id: str) -> str:
        return self._key("lock", "chat", channel, chat_id)

    def chat_queue(self, channel: str, chat_id: str) -> str:
        """Messages of one chat waiting for the consumer that holds the chat's lock."""
        return self._key("queue", "chat", channel, chat_id)

    # booking fallback queue (RFC §21, contract §13): no TTL, nothing is lost
    def fallback_entries(self) -> str:
        return self._key("fallback", "entries")

    def fallback_pending(self) -> str:
        return self._key("fallback", "pending")

    def fallback_seq(self) -> str:
        return self._key("fallback", "seq")

    def fallback_retry_lock(self) -> str:
        """Held (owner token, TTL) by the one automatic retry pass running."""
        return self._key("fallback", "retry_lock")

    def fallback_claim(self, entry_id: int) -> str:
        """Held (owner token, TTL) while one pass books this entry."""
        return self._key("fallback", "claim", entry_id)

    # reminders (S3)
    def reminders_due(self) -> str:
        """Sorted set: ``{booking_id}:{kind}`` scored by the Unix time it is due."""
        return self._key("reminders", "due")

    def reminder(self, booking_id: int) -> str:
        return self._key("reminders", "booking", booking_id)

    def contact_channels(self, phone_e164: str) -> str:
        """Hash: channel → chat id, for one client's phone (to reach them elsewhere)."""
        return self._key("contact", phone_e164)

    # inbound
    def inbound_stream(self) -> str:
        """The durable inbound log (Redis Stream) every webhook writes to before its 200."""
        return self._key("inbound", "stream")

    def chat_rate(self, channel: str, chat_id: str, window: int) -> str:
        """Messages of one chat in the current spam window (contract §8)."""
        return self._key("rate", "chat", channel, chat_id, window)

    def seen(self, channel: str, dedup_key: str) -> str:
        """Contract §8 names it ``seen:{channel}:{message_id}``; we add the deployment prefix,
        and the message's part is ``UnifiedMessage.dedup_key`` (chat id + message id, D19)."""
        return self._key("seen", channel, dedup_key)

    # CRM cache (RFC §20.3)
    def crm_cache(self, kind: str, *parts: object) -> str:
        return self._key("crm", kind, *parts)

    def crm_cache_day_version(self, day: str) -> str:
        """Bumped after a booking or a cancellation on ``day`` (ISO date): that day's cached
        reservation counts of older versions are never read again (no SCAN, no global bump)."""
        return self._key("crm", "day_version", day)

    def crm_cache_epoch(self) -> str:
        """Bumped when a change cannot be placed on a day: every cached day is orphaned."""
        return self._key("crm", "epoch")

    # WhatsApp (RFC §19)
    def wa_window(self, chat_id: str) -> str:
        """Sorted set with one member: when the client last wrote (the 24 h service window)."""
        return self._key("wa", "window", chat_id)

    # outbound delivery (contract §9)
    def arq_queue(self) -> str:
        """The worker's arq queue (sorted set of job ids): outbound sends and worker jobs."""
        return self._key("arq", "queue")

    def outbound_wake(self) -> str:
        """A one-element list the outbox pushes to after queuing a send; an idle worker
        waits on it (BLPOP) instead of polling the queue (D61)."""
        return self.wake_of_queue(self.arq_queue())

    @staticmethod
    def wake_of_queue(queue_name: str) -> str:
        """The wake list of an arq queue (the worker knows only its queue's name)."""
        return f"{queue_name}:wake"

    def weekly_report_sent(self, week: str) -> str:
        """Claimed by the worker that sends the weekly KPI summary for ``week`` (once)."""
        return self._key("report", "weekly", week)

    def worker_health(self) -> str:
        """The worker's heartbeat (arq's health-check key, written from its main loop)."""
        return self._key("arq", "queue", "health-check")

    def outbound_sent(self, message_id: str) -> str:
        """Set once the channel accepted the message: a retried job then sends nothing."""
        return self._key("outbound", "sent", message_id)

    def outbound_claim(self, message_id: str) -> str:
        """Held (owner token, TTL) while one worker is sending the message."""
        return self._key("outbound", "sending", message_id)

    def outbound_state(self, message_id: str) -> str:
        """Hash: counted failed attempts and, once given up, why and whether it was filed;
        while a send is under way, its number in the chat (``attempt``)."""
        return self._key("outbound", "state", message_id)

    def outbound_chat(self, channel: str, chat_id: str) -> str:
        """Hash per chat: the number of the last send started (``seq``) and of the latest
        one started that the channel took (``sent``), so a send whose outcome was never
        known can tell whether the chat has had a later message since (D84)."""
        return self._key("outbound", "chat", channel, chat_id)

    def rate_limits(self) -> str:
        """Prefix of the ``limits`` moving windows shared by every worker process."""
        return self._key("ratelimit")

    def dead_letter_alert(self) -> str:
        """Set (with a TTL) when the admin was last told about piling dead letters."""
        return self._key("alert", "dead_letters")

    # CRM circuit breaker and degradation (RFC §21), shared by the app and the worker
    def crm_breaker(self) -> str:
        """Hash: the breaker's ``state``, ``opened_at``, ``failures`` and ``trial_at``."""
        return self._key("crm", "breaker")

    def degradation_level(self) -> str:
        """The last degradation level seen: a change is announced to the admin once."""
        return self._key("degradation", "level")

    def degradation_backlog_alert(self) -> str:
        """Set (with a TTL) when the admin was last told about a queue backlog (L4)."""
        return self._key("alert", "backlog")

    # admin forum topics (ADMIN_TOPICS): kept without TTL, they survive restarts
    def admin_topic(self, admin_chat_id: str, client_key: str) -> str:
        """The forum topic (message_thread_id) of one client in the admin supergroup."""
        return self._key("admin", "topic", admin_chat_id, "client", client_key)

    def admin_topic_client(self, admin_chat_id: str, thread_id: int) -> str:
        """The client (``channel:chat_id``) whose topic this is."""
        return self._key("admin", "topic", admin_chat_id, "thread", thread_id)

    # health
    def crm_health(self) -> str:
        """The last CRM health probe's answer ("ok" / "down"), kept a short while."""
        return self._key("health", "crm")

    def retention_pass(self) -> str:
        """Set (with a TTL) when the retention job last ran: one pass per hour overall."""
        return self._key("retention", "last_pass")

    # the LLM budget guard (contract §12), shared by every replica
    def llm_budget(self, counter: str, window_start: int) -> str:
        """A budget counter for the window starting at ``window_start`` (Unix seconds)."""
        return self._key("llm", "budget", counter, window_start)

    def llm_budget_alert(self, counter: str, window_start: int) -> str:
        """Set once the admin was told that ``counter`` is breached in that window."""
        return self._key("alert", "llm_budget", counter, window_start)

    def llm_summary(self, channel: str, chat_id: str) -> str:
        """Hash: the running summary of a chat's older turns for the LLM (RFC §10 CC-22)."""
        return self._key("llm", "summary", channel, chat_id)
