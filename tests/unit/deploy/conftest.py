"""What the deploy tests read: the compose files, the Dockerfile, .env.example, the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer._click.exceptions import UsageError  # typer 0.29 carries its own click

__all__ = ["UsageError"]

PROJECT = Path(__file__).resolve().parents[3]
COMPOSE = PROJECT / "docker-compose.yml"
COMPOSE_LOCAL = PROJECT / "compose.local.yml"


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))  # resolves anchors and `<<:`
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    return data


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


@pytest.fixture(scope="session")
def compose_local() -> dict[str, Any]:
    return load_yaml(COMPOSE_LOCAL)


def resolve_cli(args: list[str]) -> Any:
    """Parse ``dancebot ARGS`` the way the CLI would, without running anything: the command
    path must exist and every option must be known (``UsageError`` otherwise)."""
    from dancebot.entrypoints.cli import app

    command: Any = typer.main.get_command(app)
    ctx = command.make_context("dancebot", list(args))
    while hasattr(command, "resolve_command"):  # a group of commands
        rest = [*ctx._protected_args, *ctx.args]
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None and name is not None, f"no command in {args}"
        command = sub
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx
