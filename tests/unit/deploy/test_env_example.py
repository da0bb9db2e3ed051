""".env.example names every setting the code reads (and nothing it does not): the settings
classes, the CLI's environment options, direct ``os.environ`` reads, and what the compose
files and the Caddyfile interpolate."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re

from pydantic_settings import BaseSettings
from tests.unit.deploy.conftest import COMPOSE, COMPOSE_LOCAL, PROJECT

import dancebot

ENV_EXAMPLE = PROJECT / ".env.example"
_SKIP_MODULES = ("dancebot.adapters.storage.migrations",)  # Alembic's env.py runs on import


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def settings_names() -> set[str]:
    """Environment names of every pydantic-settings class in the package."""
    for module in pkgutil.walk_packages(dancebot.__path__, "dancebot."):
        if not module.name.startswith(_SKIP_MODULES):
            importlib.import_module(module.name)
    names = set()
    for cls in _subclasses(BaseSettings):
        if not cls.__module__.startswith("dancebot."):
            continue
        prefix = str(cls.model_config.get("env_prefix", ""))
        for name, field in cls.model_fields.items():
            alias = field.validation_alias or field.alias
            names.add(str(alias).upper() if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def cli_names() -> set[str]:
    """Names the CLI's options read from the environment (typer ``envvar=``)."""
    import typer

    from dancebot.entrypoints.cli import app

    names: set[str] = set()

    def walk(command: object) -> None:
        for param in getattr(command, "params", []):
            envvar = getattr(param, "envvar", None)
            names.update([envvar] if isinstance(envvar, str) else envvar or [])
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return names


def os_environ_names() -> set[str]:
    """``os.environ.get("X")``, ``os.environ["X"]`` and ``os.getenv("X")`` in the source."""
    names = set()
    for path in (PROJECT / "src" / "dancebot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            target = None
            if isinstance(node, ast.Call) and node.args:
                func = ast.unparse(node.func)
                if func in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                    target = node.args[0]
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                target = node.slice
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                names.add(target.value)
    return names


def deploy_names() -> set[str]:
    """What docker-compose.yml, compose.local.yml and the Caddyfile take from .env."""
    text = "".join(p.read_text(encoding="utf-8") for p in (COMPOSE, COMPOSE_LOCAL))
    caddy = (PROJECT / "Caddyfile").read_text(encoding="utf-8")
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text)) | set(
        re.findall(r"\{\$([A-Z_][A-Z0-9_]*)", caddy)
    )


def example_names() -> set[str]:
    """Names set (``NAME=``) or shown commented out (``# NAME=``) in .env.example."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    return set(re.findall(r"^(?:#\s?)?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_the_collectors_find_what_is_known_to_be_read() -> None:
    assert {"TELEGRAM_BOT_TOKEN", "DANCEBOT_REDIS_PREFIX", "IMPULSE_API_PATH"} <= settings_names()
    assert "DOMAIN" in cli_names()
    assert "DATABASE_URL" in os_environ_names()  # Alembic's env.py
    assert {"REDIS_PASSWORD", "POSTGRES_PASSWORD", "DOMAIN"} <= deploy_names()


def test_every_setting_the_code_or_the_deploy_reads_is_in_env_example() -> None:
    read = settings_names() | cli_names() | os_environ_names() | deploy_names()
    missing = sorted(read - example_names())
    assert not missing, f".env.example lacks: {missing}"


def test_env_example_names_nothing_that_is_not_read() -> None:
    read = settings_names() | cli_names() | os_environ_names() | deploy_names()
    stale = sorted(example_names() - read)
    assert not stale, f".env.example names settings nothing reads: {stale}"


def test_every_name_in_env_example_is_explained_by_a_comment_above_it() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    setting = re.compile(r"^[A-Z][A-Z0-9_]*=")
    for number, line in enumerate(lines):
        if setting.match(line):
            above = number - 1
            while above >= 0 and setting.match(lines[above]):  # a group under one comment
                above -= 1
            assert above >= 0 and lines[above].startswith("# "), (
                f".env.example line {number + 1}: {line} has no comment"
            )
