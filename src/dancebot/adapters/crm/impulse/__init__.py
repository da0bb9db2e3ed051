"""Impulse CRM: the ``CRM`` port over Impulse's HTTP API (docs/impulse_api.md), its cache,
and (in ``emulator``) a stateful stand-in that speaks the same API.

Build one with ``ImpulseClient(http=…, settings=ImpulseSettings(), tz=…, now=…, cache=…)``.
"""

from __future__ import annotations

from dancebot.adapters.crm.impulse.cache import ScheduleCache
from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.settings import EMBEDDED_BASE_URL, ImpulseSettings

__all__ = ["EMBEDDED_BASE_URL", "ImpulseClient", "ImpulseSettings", "ScheduleCache"]
