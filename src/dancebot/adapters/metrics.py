"""Prometheus metrics (``/metrics``). Names are prefixed ``dancebot_``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

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
