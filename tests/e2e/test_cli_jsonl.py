"""`dancebot chat --jsonl` as a script would use it: a real process on the embedded defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
SCRIPT = [
    {"text": "Хочу на контемп в среду в 19"},
    {"text": "Мария +7 999 123-45-67"},
    {"text": "да"},
]


def _run(var_dir: Path, lines: list[str]) -> tuple[list[dict], str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REDIS_URL", "DATABASE_URL", "IMPULSE_"))
    }
    env["DANCEBOT_VAR_DIR"] = str(var_dir)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dancebot.entrypoints.cli",
            "chat",
            "--jsonl",
            "--now",
            "2026-03-02T10:00:00+10:00",
        ],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def _reservations(var_dir: Path) -> list[dict]:
    state = json.loads((var_dir / "impulse_emulator_state.json").read_text())
    records = state.get("records", state)
    maria = {c["id"] for c in records["client"] if c.get("phone") == "79991234567"}
    return [r for r in records["reservation"] if r["client"] in maria and not r.get("deleted")]


def test_scripted_booking_prints_receipt_and_is_not_repeated(tmp_path: Path) -> None:
    script = [json.dumps(x, ensure_ascii=False) for x in SCRIPT]
    first, _ = _run(tmp_path, script)
    assert all(set(msg) == {"text", "buttons"} for msg in first)
    assert "ул. Светланская, 87" in first[-1]["text"] and "вы записаны" in first[-1]["text"]
    assert len(_reservations(tmp_path)) == 1

    second, _ = _run(tmp_path, script)
    assert any("уже записаны" in msg["text"] for msg in second)
    assert not any("вы записаны ✅" in msg["text"] for msg in second)
    assert len(_reservations(tmp_path)) == 1


def test_bad_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    out, err = _run(
        tmp_path, ["not json", '{"nope": 1}', '{"type": "voice"}', '{"text": "Привет"}']
    )
    assert "line 1: not JSON" in err and "line 2: expected" in err
    assert "только текст" in out[0]["text"] and "Здравствуйте" in out[1]["text"]
