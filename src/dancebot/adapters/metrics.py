"""Prometheus metrics (``/metrics``). Names are prefixed ``dancebot_``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

INBOUND_RECEIVED = Counter(
    "dancebot_inbound_received_total", "Inbound messages accepted into the stream", ["channel"]
)
INBOUND_DROPPED = Counter(
    "dancebot_inbound_dropped_total",
    "Inbound messages dropped before processing",
    ["channel", "reason"],  # duplicate | replay | spam | malformed | unauthorized
)
INBOUND_PROCESSED = Counter(
    "dancebot_inbound_processed_total", "Inbound messages processed by the engine", ["channel"]
)
INBOUND_PENDING = Gauge("dancebot_inbound_pending", "Stream entries read but not yet acknowledged")

# the app: how long a turn takes, and what booking attempts end in
REPLY_SECONDS = Histogram(
    "dancebot_reply_seconds",
    "From a consumer taking a client's message to its replies being queued",
    ["channel"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 30.0, 60.0),
)
BOOKINGS = Counter(
    "dancebot_bookings_total",
    "Booking attempts by outcome (created, duplicate, full, in_past, crm_down, queued, …)",
    ["outcome"],
)

# the worker: outbound delivery
OUTBOUND_SENT = Counter("dancebot_outbound_sent_total", "Messages a channel accepted", ["channel"])
OUTBOUND_RETRIES = Counter(
    "dancebot_outbound_retries_total",
    "Sends put off for another try (counted: a failed attempt; else a wait or a busy claim)",
    ["channel", "counted"],
)
OUTBOUND_GIVEN_UP = Counter(
    "dancebot_outbound_given_up_total",
    "Messages given up on: to the fallback channel or the dead-letter table",
    ["channel", "outcome"],  # fell_back | dead_lettered
)
OUTBOUND_SEND_SECONDS = Histogram(
    "dancebot_outbound_send_seconds", "One send attempt to a channel", ["channel", "outcome"]
)
REMINDERS_SENT = Counter("dancebot_reminders_sent_total", "Reminders queued", ["kind"])
REMINDERS_LATE = Counter(
    "dancebot_reminders_late_total", "Reminders queued more than 5 minutes after due", ["kind"]
)

# the CRM and the queues (set by whoever looks: the worker's tick, /health, /metrics)
CRM_REQUEST_SECONDS = Histogram(
    "dancebot_crm_request_seconds",
    "CRM calls through the circuit breaker",
    ["method", "outcome"],  # ok | refused | unavailable | circuit_open
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)
CRM_BREAKER_STATE = Gauge(
    "dancebot_crm_breaker_state", "The CRM circuit breaker: 0 closed, 1 half-open, 2 open"
)
FALLBACK_QUEUE_DEPTH = Gauge(
    "dancebot_fallback_queue_depth", "Booking requests waiting in the fallback queue"
)
DEAD_LETTERS_OPEN = Gauge("dancebot_dead_letters_open", "Dead letters not yet resolved")
RETENTION_ROWS = Counter(
    "dancebot_retention_rows_total",
    "Rows the retention job anonymised or deleted",
    ["table", "action"],  # anonymised | deleted
)
