"""The app container's health probe: ``python -m dancebot.ops.probe URL``.

Standard library only, so a probe every 30 s costs a few milliseconds instead of importing
the whole application. Exit 0 when the URL answers 2xx within the timeout (``/health`` says
``degraded`` with 200 when only the CRM is down: the app is still useful then), 1 otherwise.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/health"
TIMEOUT_SECONDS = 4.0


def probe(url: str = DEFAULT_URL, *, timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str]:
    """Whether ``url`` answered 2xx, and a one-line reason for the container log."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"unreachable: {type(exc).__name__}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    healthy, reason = probe(args[0] if args else DEFAULT_URL)
    print(("healthy: " if healthy else "unhealthy: ") + reason)
    return 0 if healthy else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
