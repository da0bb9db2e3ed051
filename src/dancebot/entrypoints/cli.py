"""``dancebot``: the command line (typer). Every command builds its objects via bootstrap."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console

from dancebot.adapters.channels.console.channel import (
    ConsoleAdminNotifier,
    ConsoleChat,
    ConsoleOutbox,
)
from dancebot.adapters.channels.console.render import render_admin, render_bot
from dancebot.adapters.clock import SystemClock, VirtualClock
from dancebot.domain.messages import Channel, MessageType, OutboundMessage, UnifiedMessage
from dancebot.entrypoints.bootstrap import Services, build_services
from dancebot.entrypoints.logging import configure_logging
from dancebot.entrypoints.settings import Settings
from dancebot.evaluation.cli import eval_command
from dancebot.evaluation.nlu_eval import nlu_eval_command
from dancebot.kb.loader import KnowledgeBaseError, validate_kb_file
from dancebot.ops.cli import register as register_ops_commands
from dancebot.ports.clock import Clock
from dancebot.reporting.cli import report_command

app = typer.Typer(help="DanceBot: the dance studio's chat assistant.", no_args_is_help=True)
kb_app = typer.Typer(help="Knowledge-base tools.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
err = Console(stderr=True)


@kb_app.command("validate")
def kb_validate(path: Annotated[Path, typer.Argument(help="the knowledge-base YAML")]) -> None:
    """Check a knowledge-base file against schema v1.0; name every problem."""
    problems = validate_kb_file(path)
    if problems:
        for line in problems:
            err.print(f"[red]✗[/red] {line}", markup=True, highlight=False)
        raise typer.Exit(1)
    typer.echo(f"{path}: valid (schema 1.0)")


@app.command()
def chat(
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="JSON lines in and out, for scripts")
    ] = False,
    channel: Annotated[
        Channel, typer.Option(help="which channel to pretend to be")
    ] = Channel.CONSOLE,
    chat_id: Annotated[str, typer.Option(help="the chat's id")] = "console",
    name: Annotated[str | None, typer.Option(help="the name the channel reports")] = None,
    phone: Annotated[
        str | None, typer.Option(help="the sender's phone (as WhatsApp gives it)")
    ] = None,
    now: Annotated[
        datetime | None,
        typer.Option(
            help="pretend it is this moment (ISO 8601 with offset), for repeatable scripts",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"],
        ),
    ] = None,
) -> None:
    """Talk to the bot in the terminal (embedded defaults unless the environment says otherwise).

    With --jsonl: reads lines like {"text": "..."} (or {"type": "voice"}) from stdin and writes
    one line {"text": ..., "buttons": [...]} per bot message to stdout.
    """
    settings = Settings()
    configure_logging(
        fmt=settings.log_format,
        level="WARNING" if settings.log_level == "INFO" else settings.log_level,
    )
    try:
        clock: Clock = VirtualClock(now) if now else SystemClock()
        asyncio.run(
            _chat(
                settings,
                clock=clock,
                jsonl=jsonl,
                channel=channel,
                chat_id=chat_id,
                name=name,
                phone=phone,
            )
        )
    except KnowledgeBaseError as exc:
        err.print(
            f"[red]The knowledge base is invalid; not starting.[/red]\n{exc}", highlight=False
        )
        raise typer.Exit(2) from exc


async def _chat(
    settings: Settings,
    *,
    clock: Clock,
    jsonl: bool,
    channel: Channel,
    chat_id: str,
    name: str | None,
    phone: str | None,
) -> None:
    outbox, admin = ConsoleOutbox(), ConsoleAdminNotifier()
    async with build_services(settings, clock=clock, outbox=outbox, admin=admin) as services:
        chat_ = ConsoleChat(
            clock=clock, chat_id=chat_id, sender_name=name, sender_phone=phone, channel=channel
        )
        if jsonl:
            await _jsonl_loop(services, chat_, outbox, admin, sys.stdin, sys.stdout)
        else:
            await _interactive_loop(services, chat_, outbox, admin)


async def _jsonl_loop(
    services: Services,
    chat_: ConsoleChat,
    outbox: ConsoleOutbox,
    admin: ConsoleAdminNotifier,
    stdin: TextIO,
    stdout: TextIO,
) -> None:
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        message = _jsonl_message(chat_, line, number)
        if message is None:
            continue
        replies = await _turn(services, chat_, outbox, message)
        for reply in replies:
            stdout.write(
                json.dumps(
                    {"text": reply.text, "buttons": [b.title for b in reply.buttons]},
                    ensure_ascii=False,
                )
                + "\n"
            )
        for text in admin.drain():
            err.print(f"[admin chat] {text}", highlight=False, markup=False)
        stdout.flush()


def _jsonl_message(chat_: ConsoleChat, line: str, number: int) -> UnifiedMessage | None:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        err.print(f'line {number}: not JSON, skipped (expected {{"text": "..."}})', markup=False)
        return None
    if isinstance(data, dict) and isinstance(data.get("text"), str):
        return chat_.message(data["text"])
    if isinstance(data, dict) and data.get("type") in {t.value for t in MessageType}:
        return chat_.non_text(MessageType(data["type"]))
    err.print(
        f'line {number}: expected {{"text": "..."}} or {{"type": "voice"}}, skipped', markup=False
    )
    return None


async def _interactive_loop(
    services: Services, chat_: ConsoleChat, outbox: ConsoleOutbox, admin: ConsoleAdminNotifier
) -> None:
    out = Console()
    out.print(
        f"[bold]{services.kb.studio.name}[/bold] — чат с ботом. "
        "Кнопки: напишите номер или название. /voice — голосовое, /quit — выход.\n"
    )
    loop = asyncio.get_running_loop()
    while True:
        try:
            line = await loop.run_in_executor(None, lambda: input("вы › "))
        except (EOFError, KeyboardInterrupt):
            break
        if line.strip() in ("/quit", "/exit"):
            break
        message = (
            chat_.non_text(MessageType.VOICE) if line.strip() == "/voice" else chat_.message(line)
        )
        for reply in await _turn(services, chat_, outbox, message):
            render_bot(out, reply)
        for text in admin.drain():
            render_admin(out, text)


async def _turn(
    services: Services, chat_: ConsoleChat, outbox: ConsoleOutbox, message: UnifiedMessage
) -> list[OutboundMessage]:
    await services.pipeline.handle(message)
    replies = outbox.drain()
    chat_.saw(replies)
    return replies


@app.command()
def emulator(
    seed: Annotated[Path, typer.Option(help="the emulator's seed file (YAML or JSON)")] = Path(
        "seeds/studio_tatyana.yaml"
    ),
    port: Annotated[int, typer.Option(help="TCP port")] = 8081,
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    api_key: Annotated[
        str, typer.Option(envvar="IMPULSE_API_KEY", help="the key clients must send")
    ] = "emulator-key",
    api_path: Annotated[str, typer.Option(envvar="IMPULSE_API_PATH")] = "/api/public",
    state_file: Annotated[
        Path | None, typer.Option(help="keep the state in this JSON file")
    ] = None,
) -> None:
    """Serve the Impulse CRM emulator over HTTP (the same API the real client speaks)."""
    from dancebot.adapters.crm.impulse.emulator.server import run_emulator

    configure_logging()
    run_emulator(
        seed=seed, host=host, port=port, api_key=api_key, api_path=api_path, state_file=state_file
    )


app.command("eval")(eval_command)
app.command("nlu-eval")(nlu_eval_command)
app.command("report")(report_command)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    telegram_polling: Annotated[
        bool, typer.Option("--telegram-polling", help="long polling instead of a webhook")
    ] = False,
) -> None:
    """Run the app: webhooks, /health, /metrics and the conversation consumers."""
    import uvicorn

    from dancebot.entrypoints.app import create_app
    from dancebot.entrypoints.channels import ConfigurationError

    settings = Settings()
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    try:
        application = create_app(settings, telegram_polling=telegram_polling)
    except ConfigurationError as exc:
        err.print(f"[red]Not starting:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False)


@app.command()
def worker(
    check: Annotated[
        bool, typer.Option("--check", help="exit 0 if a worker is running (its heartbeat), else 1")
    ] = False,
) -> None:
    """Run the worker: outbound delivery with rate limits, retries and the dead-letter table;
    reminders, FSM timeouts and session recovery every few seconds."""
    from dancebot.entrypoints.channels import ConfigurationError
    from dancebot.entrypoints.worker import run_resilient_worker
    from dancebot.entrypoints.worker_process import worker_for

    settings = Settings()
    if check:
        from dancebot.ops.worker_health import worker_health

        healthy, detail = worker_health(settings)
        typer.echo(("healthy: " if healthy else "unhealthy: ") + detail)
        raise typer.Exit(0 if healthy else 1)
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    try:
        settings_dict = worker_for(settings)
    except ConfigurationError as exc:
        err.print(f"[red]Not starting:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    run_resilient_worker(settings_dict)


register_ops_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
