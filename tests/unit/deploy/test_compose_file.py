"""docker-compose.yml and compose.local.yml, checked without a Docker engine: the Compose
specification's JSON schema, then what the contract and the operator need of them."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from tests.unit.deploy.conftest import COMPOSE, COMPOSE_LOCAL, UsageError, load_yaml, resolve_cli

SERVICES = {"app", "worker", "redis", "postgres", "caddy"}
VM_MEMORY_MIB = 4096


def _schema() -> dict[str, Any]:
    # the Compose specification's schema as vendored by check-jsonschema (a dev dependency)
    text = (
        resources.files("check_jsonschema.builtin_schemas.vendor")
        .joinpath("compose-spec.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


def _mib(size: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKmMgG])?[bB]?", str(size)).groups()
    factor = {"k": 1 / 1024, "m": 1, "g": 1024, None: 1 / 1024 / 1024}[unit and unit.lower()]
    return float(number) * factor


@pytest.mark.parametrize("path", [COMPOSE, COMPOSE_LOCAL], ids=lambda p: p.name)
def test_compose_files_follow_the_compose_specification(path: Path) -> None:
    validator = Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(load_yaml(path)), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_catches_a_broken_file() -> None:
    broken = {"services": {"app": {"image": "x", "restart": "sometimes", "ports": "80"}}}
    assert list(Draft202012Validator(_schema()).iter_errors(broken))


def test_exactly_the_contracts_five_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == SERVICES


def test_only_caddy_publishes_ports_and_the_data_stays_on_the_internal_network(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert [name for name, s in services.items() if s.get("ports")] == ["caddy"]
    assert {p.split(":")[-1].split("/")[0] for p in services["caddy"]["ports"]} == {"80", "443"}
    assert compose["networks"]["backend"]["internal"] is True
    assert services["redis"]["networks"] == ["backend"]
    assert services["postgres"]["networks"] == ["backend"]
    assert "backend" not in services["caddy"]["networks"]


def test_every_service_restarts_checks_its_health_rotates_logs_and_has_a_memory_limit(
    compose: dict[str, Any],
) -> None:
    total = 0.0
    for name, service in compose["services"].items():
        assert service["restart"] in ("unless-stopped", "always"), name
        assert service["healthcheck"]["test"], name
        options = service["logging"]["options"]
        assert service["logging"]["driver"] == "json-file" and options["max-size"], name
        assert int(options["max-file"]) >= 2, name
        total += _mib(service["deploy"]["resources"]["limits"]["memory"])
    assert total <= VM_MEMORY_MIB * 0.75, f"{total} MiB of memory limits on a 4 GB VM"


def test_start_order_waits_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, (name, dependency)
            assert services[dependency]["healthcheck"], dependency
    # the app migrates the database at start; the worker waits for it (decision D40)
    assert "app" in services["worker"]["depends_on"]
    assert {"redis", "postgres"} <= set(services["app"]["depends_on"])


def test_redis_and_postgres_have_passwords_volumes_and_redis_keeps_an_aof(
    compose: dict[str, Any],
) -> None:
    redis, postgres = compose["services"]["redis"], compose["services"]["postgres"]
    command = redis["command"]
    assert command[command.index("--requirepass") + 1].startswith("${REDIS_PASSWORD")
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert any(v.endswith(":/data") for v in redis["volumes"])
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    for name in ("app", "worker"):
        env = compose["services"][name]["environment"]
        assert "${REDIS_PASSWORD" in env["REDIS_URL"] and "@redis:6379" in env["REDIS_URL"]
        assert (
            "${POSTGRES_PASSWORD" in env["DATABASE_URL"] and "@postgres:5432" in env["DATABASE_URL"]
        )


@pytest.mark.parametrize("path", [COMPOSE, COMPOSE_LOCAL], ids=lambda p: p.name)
def test_every_service_command_is_a_real_dancebot_command(path: Path) -> None:
    commands = {
        name: service["command"]
        for name, service in load_yaml(path)["services"].items()
        if isinstance(service.get("command"), list) and service["command"][0] == "dancebot"
    }
    assert {"app", "worker"} <= set(commands) or path == COMPOSE_LOCAL
    for name, command in commands.items():
        ctx = resolve_cli(command[1:])
        assert ctx.command_path == f"dancebot {command[1]}", name


def test_the_cli_resolver_refuses_what_does_not_exist() -> None:
    with pytest.raises(UsageError):
        resolve_cli(["serve", "--no-such-option"])
    with pytest.raises(UsageError):
        resolve_cli(["no-such-command"])


def test_health_probes_are_importable_modules_with_a_main(compose: dict[str, Any]) -> None:
    import importlib

    for name in ("app", "worker"):
        test = compose["services"][name]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-m"], name
        module = importlib.import_module(test[3])
        assert callable(module.main), test[3]


def test_the_local_file_polls_telegram_publishes_on_localhost_and_skips_caddy(
    compose: dict[str, Any], compose_local: dict[str, Any]
) -> None:
    local = compose_local["services"]
    assert set(local) <= set(compose["services"])
    assert "--telegram-polling" in local["app"]["command"]
    assert all(p.startswith("127.0.0.1:") for p in local["app"]["ports"])
    assert local["caddy"]["profiles"] == ["https"]
