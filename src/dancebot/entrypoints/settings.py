"""Settings from the environment (and ``.env``). The names are a contract (DESIGN §11)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[3]


class ConfigurationError(RuntimeError):
    """The settings cannot run safely or at all; the message says which variable to set."""


class Settings(BaseSettings):
    # an empty value ("TELEGRAM_BOT_TOKEN=" as in .env.example) means unset
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    dancebot_env: Literal["production", "development", "test"] = "development"
    test_mode: bool = False
    kb_path: Path = Path("knowledge/studio_tatyana.yaml")
    var_dir: Path = Field(default=Path("var"), alias="DANCEBOT_VAR_DIR")
    redis_url: str | None = None
    # separates deployments (and test runs) sharing one Redis
    redis_key_prefix: str = Field(default="dancebot", alias="DANCEBOT_REDIS_PREFIX")
    database_url: str | None = None

    impulse_base_url: str | None = None
    impulse_api_path: str = "/api/public"
    impulse_api_key: SecretStr = SecretStr("emulator-key")
    impulse_auth_scheme: Literal["key_colon", "colon_key", "raw"] = "key_colon"
    # seconds per CRM HTTP call; IMPULSE_TIMEOUT is the older name, still accepted
    impulse_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices(
            "impulse_timeout_seconds", "IMPULSE_TIMEOUT_SECONDS", "IMPULSE_TIMEOUT"
        ),
    )
    # one conversation turn, CRM calls included: past it the client gets the honest fallback
    # answer and a booking under way is queued (issue 8); well under the stream's reclaim time
    turn_deadline_seconds: float = Field(default=8.0, gt=0)
    impulse_emulator_seed: Path = Path("seeds/studio_tatyana.yaml")
    # the embedded emulator keeps its bookings in this file between runs (unset → under
    # var_dir; "memory" → nothing kept)
    impulse_emulator_state: str | None = None

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_admin_chat_id: int | None = None
    # one forum topic per client in the admin supergroup instead of /reply (docs D51)
    admin_topics: bool = False

    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base: str = "https://graph.facebook.com/v21.0"

    llm_provider: Literal["off", "anthropic", "openai"] = "off"
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_base_url: str | None = None
    # fallbacks tried in order: "anthropic:MODEL, openai:MODEL@BASE_URL" (ai/providers.py)
    llm_fallback: str | None = None
    llm_fallback_api_key: SecretStr | None = None  # unset → LLM_API_KEY
    llm_timeout_seconds: float = Field(default=10.0, gt=0)
    llm_phrasing: bool = True  # rewrite replies / answer from KB snippets (else commands only)
    llm_phrasing_temperature: float = Field(default=0.3, ge=0, le=2)
    # USD per million tokens (input, output); a dated model name matches the longest prefix.
    # Published list prices when written: override with LLM_PRICES='{"model": [in, out]}'.
    llm_prices: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {
            "claude-haiku-4-5": (1.0, 5.0),
            "claude-3-5-haiku": (0.8, 4.0),
            "claude-sonnet-4": (3.0, 15.0),
            "gpt-4o-mini": (0.15, 0.6),
            "gpt-4.1-mini": (0.4, 1.6),
            "gpt-4o": (2.5, 10.0),
            "deepseek-chat": (0.27, 1.1),
        }
    )
    llm_default_price: tuple[float, float] = (3.0, 15.0)

    # the budget guard (contract §12)
    budget_max_tokens_per_hour: int = Field(default=100_000, gt=0)
    budget_max_cost_per_day_usd: float = Field(default=10.0, gt=0)
    budget_max_requests_per_minute: int = Field(default=30, gt=0)
    budget_max_errors_per_hour: int = Field(default=50, gt=0)

    # one HTTP send to a channel, end to end; the worker's job timeout follows from it
    outbound_send_timeout_seconds: float = Field(default=30.0, gt=0)

    # the KPI summary to the admin chat once a week (studio time), from the worker
    weekly_report_enabled: bool = False
    weekly_report_weekday: int = Field(default=1, ge=1, le=7)  # 1 = Monday … 7 = Sunday
    weekly_report_hour: int = Field(default=10, ge=0, le=23)

    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"

    # the worker's /metrics and /health (0 = not served)
    worker_metrics_port: int = Field(default=9100, ge=0, le=65535)
    # a webhook body above this is refused with 413 before it is read
    webhook_max_body_bytes: int = Field(default=1_048_576, gt=0)
    # every Redis command and connection attempt gives up after this (no hung process)
    redis_socket_timeout_seconds: float = Field(default=5.0, ge=2)  # > XREADGROUP's 1 s
    # retention (RFC §23.4, contract §4): message texts anonymised after N days, audit rows
    # (messages, booking attempts, tool/LLM calls, errors, resolved dead letters) deleted
    # after M days; 0 turns either off
    retention_message_text_days: int = Field(default=30, ge=0)
    retention_audit_days: int = Field(default=90, ge=0)

    def resolve(self, path: Path) -> Path:
        """Relative paths are taken from the working directory, else from the project root."""
        if path.is_absolute() or path.exists():
            return path
        candidate = PROJECT_ROOT / path
        return candidate if candidate.exists() else path


def check_settings(settings: Settings) -> None:
    """Refuse to start on settings that would be unsafe (contract §17, §19); the app and the
    worker both call it. Raises ``ConfigurationError``."""
    prod = settings.dancebot_env == "production"
    if prod and settings.test_mode:
        raise ConfigurationError(
            "TEST_MODE=true is refused with DANCEBOT_ENV=production: test mode books in the "
            "emulator instead of the CRM and lets any chat read traces and reset sessions"
        )
    if prod and settings.telegram_bot_token and not settings.telegram_webhook_secret:
        raise ConfigurationError(
            "TELEGRAM_WEBHOOK_SECRET is required in production: without it anyone could post "
            "fake Telegram updates to /webhook/telegram"
        )
    wa = (settings.whatsapp_token, settings.whatsapp_phone_number_id, settings.whatsapp_app_secret)
    if prod and any(wa) and not all(wa):
        raise ConfigurationError(
            "WhatsApp needs WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_APP_SECRET "
            "together"
        )
