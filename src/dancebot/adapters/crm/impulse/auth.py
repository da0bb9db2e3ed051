"""The ``Authorization`` header Impulse expects. Integrators disagree on the encoding of the
key (DESIGN §7), so the scheme is a setting."""

from __future__ import annotations

import base64

from dancebot.adapters.crm.impulse.settings import AuthScheme


def authorization_header(api_key: str, scheme: AuthScheme) -> str:
    """``Basic <token>``: ``key_colon`` → base64(key + ":"), ``colon_key`` → base64(":" + key),
    ``raw`` → the key itself. Raises ``ValueError`` on an unknown scheme."""
    if scheme == "key_colon":
        token = _b64(f"{api_key}:")
    elif scheme == "colon_key":
        token = _b64(f":{api_key}")
    elif scheme == "raw":
        token = api_key
    else:  # pragma: no cover - the Literal type rules it out; settings validate it
        raise ValueError(f"unknown Impulse auth scheme {scheme!r}")
    return f"Basic {token}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
