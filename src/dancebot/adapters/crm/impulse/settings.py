"""Impulse CRM connection settings. Built by the composition root from ``Settings`` (the one
class that reads the ``IMPULSE_*`` environment variables, DESIGN §11); not read from the
environment here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

AuthScheme = Literal["key_colon", "colon_key", "raw"]

# The host used when the emulator runs in process behind ``httpx.ASGITransport``.
EMBEDDED_BASE_URL = "http://impulse-emulator"


class ImpulseSettings(BaseModel):
    """Where Impulse is and how to talk to it.

    ``base_url`` unset means the in-process emulator (the caller passes an ASGI transport);
    requests then go to ``EMBEDDED_BASE_URL``.
    """

    model_config = ConfigDict(extra="ignore")

    base_url: str | None = None
    api_path: str = "/api/public"
    api_key: SecretStr = SecretStr("")
    auth_scheme: AuthScheme = "key_colon"
    timeout: float = Field(default=10.0, gt=0, description="seconds per HTTP call")
    read_retries: int = Field(default=3, ge=0, description="extra attempts of a failed read")
    retry_wait: float = Field(default=0.2, ge=0, description="first backoff wait, seconds")
    retry_wait_max: float = Field(default=2.0, ge=0, description="longest backoff wait")
    page_size: int = Field(default=200, ge=1, le=500)

    @field_validator("api_path")
    @classmethod
    def _normalise_path(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith("/"):
            value = "/" + value
        return value.rstrip("/")

    @field_validator("base_url")
    @classmethod
    def _strip_base(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip().rstrip("/")

    def endpoint(self, entity: str, action: str) -> str:
        """The absolute URL of ``{entity}/{action}``."""
        base = self.base_url or EMBEDDED_BASE_URL
        return f"{base}{self.api_path}/{entity}/{action}"
