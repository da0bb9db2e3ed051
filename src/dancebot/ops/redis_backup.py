"""A logical backup of one deployment's Redis keys (everything under its prefix): sessions,
profiles, the booking fallback queue, reminders, the arq queue. ``dancebot redis dump`` /
``restore``, used by ``scripts/backup.sh`` and ``scripts/restore.sh``.

One JSON line per key — the key, its remaining time to live and Redis's own ``DUMP`` of the
value (base64) — after a header line. ``RESTORE`` needs a Redis of the same or a newer
version than the one dumped. Keys are read one by one (SCAN), so a copy taken while the app
runs is per key, not one instant: stop the app and the worker first for a point-in-time copy.
A restore drops the timeouts' due index (derived from the sessions, and possibly copied at
another instant than they were): the next start-up builds it again from the sessions (D66).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

import redis.asyncio as aioredis

from dancebot.adapters.storage.keys import RedisKeys

FORMAT = "dancebot-redis-dump"
VERSION = 1


class DumpFormatError(ValueError):
    """The input is not a dump this code wrote; the message says which line."""


@dataclass(frozen=True)
class Restored:
    keys: int
    cleared: int


async def dump_keys(client: aioredis.Redis, *, prefix: str, out: TextIO) -> int:
    """Write every key under ``{prefix}:`` to ``out``; returns how many. A key that expires
    between the scan and its DUMP is left out."""
    out.write(json.dumps({"format": FORMAT, "version": VERSION, "prefix": prefix}) + "\n")
    count = 0
    async for key in client.scan_iter(match=f"{_escape(prefix)}:*", count=500):
        value = await client.dump(key)
        ttl_ms = await client.pttl(key)
        if value is None or ttl_ms == -2:
            continue
        out.write(
            json.dumps(
                {"key": _b64(key), "ttl_ms": max(ttl_ms, 0), "value": _b64(value)},
                separators=(",", ":"),
            )
            + "\n"
        )
        count += 1
    return count


async def restore_keys(
    client: aioredis.Redis, lines: Iterable[str], *, prefix: str, clear: bool = False
) -> Restored:
    """Restore a dump written by ``dump_keys`` for the same ``prefix`` (``DumpFormatError``
    for anything else). ``clear``: first delete every key under the prefix, so the result is
    exactly the backup. Existing keys of the same name are replaced; the timeouts' due index
    is dropped, to be rebuilt at the next start."""
    rows = iter(lines)
    header = _header(next(rows, ""))
    if header.get("prefix") != prefix:
        raise DumpFormatError(
            f"the dump is of prefix {header.get('prefix')!r}, this deployment's is {prefix!r}"
        )
    cleared = 0
    if clear:
        async for key in client.scan_iter(match=f"{_escape(prefix)}:*", count=500):
            cleared += await client.delete(key)
    restored = 0
    for number, line in enumerate(rows, start=2):
        if not line.strip():
            continue
        key, ttl_ms, value = _row(line, number)
        if not key.startswith(prefix.encode() + b":"):
            raise DumpFormatError(f"line {number}: a key outside the prefix {prefix!r}")
        await client.restore(key, ttl_ms, value, replace=True)
        restored += 1
    await client.delete(RedisKeys(prefix=prefix).timeouts_due())
    return Restored(keys=restored, cleared=cleared)


def _header(line: str) -> dict[str, object]:
    try:
        header = json.loads(line)
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DumpFormatError(f"line 1: not a {FORMAT} file")
    if header.get("version") != VERSION:
        raise DumpFormatError(f"line 1: version {header.get('version')!r}, expected {VERSION}")
    return header


def _row(line: str, number: int) -> tuple[bytes, int, bytes]:
    try:
        row = json.loads(line)
        return base64.b64decode(row["key"]), int(row["ttl_ms"]), base64.b64decode(row["value"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise DumpFormatError(f"line {number}: {type(exc).__name__}") from None


def _b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def _escape(prefix: str) -> str:
    """The prefix as a literal inside a SCAN pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in prefix)
