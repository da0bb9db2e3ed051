"""The Caddyfile: HTTPS for $DOMAIN, a reverse proxy to the app only, /metrics kept inside.
`caddy validate` runs too where Caddy is installed (it is not a Python package: on a machine
without it only the structure is checked)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from tests.unit.deploy.conftest import PROJECT

CADDYFILE = PROJECT / "Caddyfile"


def test_serves_the_domain_and_proxies_to_the_app_only() -> None:
    text = CADDYFILE.read_text(encoding="utf-8")
    assert re.search(r"^\{\$DOMAIN\}\s*\{", text, flags=re.MULTILINE)
    assert re.findall(r"reverse_proxy\s+(\S+)", text) == ["app:8000"]
    assert re.search(r"@\w+\s+path\s+/metrics", text) and "respond @" in text
    assert "max_size" in text  # request bodies are limited before they reach the app


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed here")
def test_caddy_validates_it() -> None:
    result = subprocess.run(
        ["caddy", "validate", "--adapter", "caddyfile", "--config", str(CADDYFILE)],
        env={**os.environ, "DOMAIN": "bot.example.ru"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
