"""One settings class reads the environment; old names that operators may still use are
accepted where that is cheap."""

from __future__ import annotations

import pytest

from dancebot.adapters.crm.impulse.settings import ImpulseSettings
from dancebot.adapters.storage.redis_connection import make_redis
from dancebot.entrypoints.settings import Settings


def test_impulse_timeout_has_one_setting_and_the_old_name_is_an_alias(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMPULSE_TIMEOUT", "3.5")
    assert Settings().impulse_timeout_seconds == 3.5
    monkeypatch.setenv("IMPULSE_TIMEOUT_SECONDS", "7")  # the documented name wins
    assert Settings().impulse_timeout_seconds == 7.0
    # the CRM client's own settings no longer read the environment at all
    assert ImpulseSettings().timeout == 10.0


async def test_redis_clients_get_socket_timeouts() -> None:
    client = make_redis("redis://localhost:6379/15", socket_timeout=2.5)
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 2.5 and kwargs["socket_connect_timeout"] == 2.5
    await client.aclose()
    assert Settings().redis_socket_timeout_seconds >= 2  # above XREADGROUP's 1 s block
