"""How bot and admin-chat messages look in a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from dancebot.domain.messages import OutboundMessage


def render_bot(console: Console, message: OutboundMessage) -> None:
    body = Text(message.text)
    if message.buttons:
        body.append("\n")
        for number, button in enumerate(message.buttons, start=1):
            body.append(f"\n [{number}] {button.title}", style="bold cyan")
    console.print(Panel(body, title="бот", title_align="left", border_style="green", expand=False))


def render_admin(console: Console, text: str) -> None:
    console.print(
        Panel(
            Text(text),
            title="чат администратора",
            title_align="left",
            border_style="yellow",
            expand=False,
        )
    )
