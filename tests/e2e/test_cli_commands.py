"""The CLI's other commands, run as the operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[2]
BAD_KB = PROJECT / "tests/fixtures/kb/teacher_rating.yaml"


def _dancebot(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dancebot.entrypoints.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_kb_validate_accepts_the_sample_and_names_a_bad_field() -> None:
    good = _dancebot("kb", "validate", "knowledge/studio_tatyana.yaml")
    assert good.returncode == 0 and "valid" in good.stdout
    bad = _dancebot("kb", "validate", str(BAD_KB))
    assert bad.returncode == 1
    assert "teacher_rating.yaml" in bad.stderr and "rating" in bad.stderr


def test_chat_refuses_to_start_on_an_invalid_kb(tmp_path: Path) -> None:
    done = _dancebot(
        "chat",
        "--jsonl",
        env={"KB_PATH": str(BAD_KB), "DANCEBOT_VAR_DIR": str(tmp_path)},
        stdin='{"text": "Привет"}\n',
    )
    assert done.returncode == 2
    assert "rating" in done.stderr and done.stdout == ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_emulator_command_serves_the_api_over_http() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dancebot.entrypoints.cli",
            "emulator",
            "--seed",
            "seeds/studio_tatyana.yaml",
            "--port",
            str(port),
            "--api-key",
            "k",
        ],
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/public/style/list"
        for _ in range(100):
            try:
                answer = httpx.post(url, json={"limit": 2}, auth=("k", ""), timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the emulator did not start")
        assert answer.status_code == 200
        assert answer.json()["total"] == 7 and len(answer.json()["items"]) == 2
        login = httpx.post(url, json={}, auth=("wrong", ""), timeout=2)
        assert login.status_code == 200 and "text/html" in login.headers["content-type"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
