"""The operator's commands, registered on ``dancebot`` by ``register(app)``:

dancebot telegram set-webhook [URL] [--domain D]   dancebot telegram delete-webhook
dancebot telegram webhook-info                     dancebot migrate
dancebot redis dump [--out F]                      dancebot redis restore [--in F]
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from rich.console import Console

from dancebot.entrypoints.settings import Settings
from dancebot.ops.telegram_webhook import (
    WebhookError,
    WebhookInfo,
    delete_webhook,
    set_webhook,
    webhook_info,
    webhook_url,
)

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from dancebot.ops.redis_backup import Restored

telegram_app = typer.Typer(help="Telegram Bot API: the webhook.", no_args_is_help=True)
redis_app = typer.Typer(help="Back up and restore this deployment's Redis keys.")
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the operator's commands to the ``dancebot`` CLI."""
    app.add_typer(telegram_app, name="telegram")
    app.add_typer(redis_app, name="redis", no_args_is_help=True)
    app.command("migrate")(migrate)


def _report(info: WebhookInfo) -> None:
    typer.echo(f"webhook: {info.url or '(none)'}; updates waiting: {info.pending_updates}")


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]Telegram refused:[/red] {exc}", highlight=False)
    return typer.Exit(1)


@telegram_app.command("set-webhook")
def set_webhook_command(
    url: Annotated[
        str | None,
        typer.Argument(help="the webhook URL (default: https://$DOMAIN/webhook/telegram)"),
    ] = None,
    domain: Annotated[
        str | None, typer.Option(envvar="DOMAIN", help="the public domain Caddy serves")
    ] = None,
    drop_pending: Annotated[
        bool, typer.Option("--drop-pending", help="forget updates Telegram still holds")
    ] = False,
) -> None:
    """Register the webhook with Telegram (secret_token = TELEGRAM_WEBHOOK_SECRET)."""
    target = url or (webhook_url(domain) if domain else None)
    if target is None:
        err.print("Give the URL, or set DOMAIN (as in .env).", highlight=False)
        raise typer.Exit(2)
    try:
        info = asyncio.run(set_webhook(Settings(), target, drop_pending=drop_pending))
    except WebhookError as exc:
        raise _fail(exc) from None
    _report(info)


@telegram_app.command("delete-webhook")
def delete_webhook_command(
    drop_pending: Annotated[
        bool, typer.Option("--drop-pending", help="forget updates Telegram still holds")
    ] = False,
) -> None:
    """Remove the webhook (needed before `dancebot serve --telegram-polling`)."""
    try:
        info = asyncio.run(delete_webhook(Settings(), drop_pending=drop_pending))
    except WebhookError as exc:
        raise _fail(exc) from None
    _report(info)


@telegram_app.command("webhook-info")
def webhook_info_command() -> None:
    """Show the webhook Telegram has registered and how many updates wait."""
    try:
        info = asyncio.run(webhook_info(Settings()))
    except WebhookError as exc:
        raise _fail(exc) from None
    _report(info)


def migrate() -> None:
    """Bring the database schema up to date (the app also does this at start)."""
    from dancebot.adapters.storage.db.engine import database_url
    from dancebot.adapters.storage.db.migrate import upgrade_database

    settings = Settings()
    url = database_url(settings.database_url, var_dir=Path(settings.var_dir))
    asyncio.run(upgrade_database(url))
    typer.echo(f"database schema up to date ({url.split(':', 1)[0]})")


def _redis_client(settings: Settings) -> aioredis.Redis:
    from dancebot.adapters.storage.redis_connection import make_redis

    if settings.redis_url is None:
        err.print("REDIS_URL is not set: there is no Redis server to back up.", highlight=False)
        raise typer.Exit(2)
    return make_redis(settings.redis_url)


@redis_app.command("dump")
def redis_dump(
    out: Annotated[Path, typer.Option("--out", help="file to write; - for stdout")] = Path("-"),
) -> None:
    """Write every key of this deployment (DANCEBOT_REDIS_PREFIX) as JSON lines."""
    from dancebot.ops.redis_backup import dump_keys

    settings = Settings()
    client = _redis_client(settings)

    async def run(stream: TextIO) -> int:
        try:
            return await dump_keys(client, prefix=settings.redis_key_prefix, out=stream)
        finally:
            await client.aclose()

    if str(out) == "-":
        count = asyncio.run(run(sys.stdout))
    else:
        with out.open("w", encoding="utf-8") as stream:
            count = asyncio.run(run(stream))
    err.print(f"redis: {count} keys dumped", highlight=False)


@redis_app.command("restore")
def redis_restore(
    source: Annotated[Path, typer.Option("--in", help="file to read; - for stdin")] = Path("-"),
    clear: Annotated[
        bool, typer.Option("--clear", help="delete this deployment's keys first")
    ] = False,
) -> None:
    """Restore a `dancebot redis dump` into this deployment's Redis (same prefix)."""
    from dancebot.ops.redis_backup import DumpFormatError, restore_keys

    settings = Settings()
    client = _redis_client(settings)

    async def run(lines: Iterable[str]) -> Restored:
        try:
            return await restore_keys(client, lines, prefix=settings.redis_key_prefix, clear=clear)
        finally:
            await client.aclose()

    try:
        if str(source) == "-":
            done = asyncio.run(run(sys.stdin))
        else:
            with source.open(encoding="utf-8") as stream:
                done = asyncio.run(run(stream))
    except DumpFormatError as exc:
        err.print(f"[red]Not a dump this can restore:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    err.print(f"redis: {done.keys} keys restored ({done.cleared} deleted first)", highlight=False)
