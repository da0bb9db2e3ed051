"""Auth header forms and settings normalisation."""

from __future__ import annotations

import base64

import pytest

from dancebot.adapters.crm.impulse.auth import authorization_header
from dancebot.adapters.crm.impulse.settings import EMBEDDED_BASE_URL, AuthScheme, ImpulseSettings


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("key_colon", "Basic " + base64.b64encode(b"s3cret:").decode()),
        ("colon_key", "Basic " + base64.b64encode(b":s3cret").decode()),
        ("raw", "Basic s3cret"),
    ],
)
def test_authorization_header_forms(scheme: AuthScheme, expected: str) -> None:
    assert authorization_header("s3cret", scheme) == expected


def test_key_colon_is_the_default_scheme() -> None:
    settings = ImpulseSettings(api_key="k")
    assert settings.auth_scheme == "key_colon"
    assert settings.timeout == 10
    assert settings.read_retries == 3


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment is read once, by ``Settings``; the composition root builds the
    client's settings from it (docs/decisions.md, D55)."""
    from dancebot.entrypoints.bootstrap import _impulse_settings
    from dancebot.entrypoints.settings import Settings

    monkeypatch.setenv("IMPULSE_BASE_URL", "https://studio.impulsecrm.ru/")
    monkeypatch.setenv("IMPULSE_API_PATH", "api/")
    monkeypatch.setenv("IMPULSE_API_KEY", "from-env")
    monkeypatch.setenv("IMPULSE_AUTH_SCHEME", "raw")
    monkeypatch.setenv("IMPULSE_TIMEOUT", "4")  # the older name, still accepted

    settings = _impulse_settings(Settings(), embedded=False)
    assert settings.timeout == 4.0

    assert settings.endpoint("schedule", "list") == "https://studio.impulsecrm.ru/api/schedule/list"
    assert settings.api_key.get_secret_value() == "from-env"
    assert "from-env" not in repr(settings)
    assert settings.auth_scheme == "raw"


def test_unset_base_url_means_the_embedded_emulator() -> None:
    settings = ImpulseSettings(base_url="")
    assert settings.endpoint("style", "list") == f"{EMBEDDED_BASE_URL}/api/public/style/list"


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="auth_scheme"):
        ImpulseSettings(auth_scheme="bearer")  # type: ignore[arg-type]
