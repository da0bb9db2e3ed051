"""Property test over HTTP: whatever a Telegram or WhatsApp webhook body holds — valid
updates mutated anywhere (wrong types, lone surrogates, huge or odd numbers, deep values,
missing or extra keys) or arbitrary JSON — a correctly signed request never gets a 5xx.

``make test`` runs a bounded number of examples per channel; ``FUZZ_EXAMPLES=5000`` runs long.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.e2e.channels.conftest import SECRET, WA_APP_SECRET, Stack

from dancebot.testing.fake_telegram.updates import (
    callback_update,
    contact_update,
    edited_update,
    media_update,
    text_update,
    webhook_headers,
)
from dancebot.testing.fake_whatsapp.webhooks import (
    inbound_button_reply,
    inbound_image,
    inbound_list_reply,
    inbound_template_button,
    inbound_text,
    sign,
    status_update,
)

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# text with lone surrogates mixed in (hypothesis leaves them out of text by default)
texts = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=12)
numbers = (
    st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
)
scalars = st.none() | st.booleans() | numbers | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
deep = st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n)
# numbers of up to 10,000 digits, as a number or as a string of digits
huge = st.tuples(st.integers(min_value=1, max_value=10_000), st.booleans()).map(
    lambda n_quoted: ('"{}"' if n_quoted[1] else "{}").format("9" * n_quoted[0])
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> str:
    """``base`` with 1–3 mutations, as the JSON text a platform would post (non-ASCII
    escaped, so lone surrogates travel as ``\\udXXX``); deep nesting spliced in as text."""
    body: Any = copy.deepcopy(base)
    splices: dict[str, str] = {}
    for n in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(list(_paths(body))))
        op = draw(st.sampled_from(["replace", "delete", "add", "deep", "taint", "digits"]))
        if not path:
            body = draw(json_values) if op == "replace" else body
            continue
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        value = parent[last]
        if op == "replace":
            parent[last] = draw(json_values)
        elif op == "delete":
            del parent[last]
        elif op == "add" and isinstance(value, dict):
            value[draw(texts)] = draw(json_values)
        elif op == "taint" and isinstance(value, str):  # a lone surrogate inside real text
            at = draw(st.integers(min_value=0, max_value=len(value)))
            lone = draw(st.characters(categories=["Cs"]))
            parent[last] = value[:at] + lone + value[at:]
        elif op in ("deep", "digits"):  # spliced in as raw JSON text
            marker = f"@@{n}@@"
            splices[f'"{marker}"'] = draw(deep if op == "deep" else huge)
            parent[last] = marker
    text = json.dumps(body, ensure_ascii=True)
    for marker, raw in splices.items():
        text = text.replace(marker, raw)
    return text


def _telegram_bases(stack: Stack) -> list[dict[str, Any]]:
    now = stack.clock.now()
    return [
        text_update(4_000_001, "хочу на контемп в среду", date=now),
        edited_update(4_000_002, "сколько стоит", message_id=5, date=now),
        callback_update(4_000_003, "lesson:100:2026-03-04"),
        contact_update(4_000_004, "79991234567"),
        media_update("photo", 4_000_005, caption="вот", date=now),
    ]


def _whatsapp_bases(stack: Stack) -> list[dict[str, Any]]:
    now = stack.clock.now()
    return [
        inbound_text(wa_id="79995550001", text="хочу на контемп", at=now),
        inbound_button_reply(wa_id="79995550002", payload="yes", title="Да", at=now),
        inbound_list_reply(wa_id="79995550003", payload="p", title="Ср 19:00", at=now),
        inbound_template_button(wa_id="79995550004", payload="ok", text="Ок", at=now),
        inbound_image(wa_id="79995550005", at=now),
        status_update(wamid="wamid.x", status="failed", recipient="79995550006", at=now),
    ]


def _bodies(bases: Callable[[Stack], list[dict[str, Any]]], stack: Stack) -> Any:
    return st.sampled_from(bases(stack)).flatmap(mutated) | json_values.map(json.dumps)


def _draw(strategy: st.SearchStrategy[str]) -> list[str]:
    """The examples hypothesis picks (its generation heuristics: small, boundary and odd
    values first); posted afterwards, since hypothesis cannot drive an async test itself."""
    drawn: list[str] = []

    @FUZZ
    @given(body=strategy)
    def collect(body: str) -> None:
        drawn.append(body)

    collect()
    return drawn


async def _post(stack: Stack, channel: str, body: str) -> int:
    raw = body.encode("utf-8")
    headers = webhook_headers(SECRET)
    if channel == "whatsapp":
        headers["X-Hub-Signature-256"] = sign(raw, WA_APP_SECRET)
    answer = await stack.http.post(f"{stack.url}/webhook/{channel}", content=raw, headers=headers)
    return answer.status_code


@pytest.mark.parametrize("channel", ["telegram", "whatsapp"])
async def test_a_signed_webhook_body_never_gets_a_5xx(stack: Stack, channel: str) -> None:
    bases = _telegram_bases if channel == "telegram" else _whatsapp_bases
    bodies = _draw(_bodies(bases, stack))
    assert len(bodies) >= min(EXAMPLES, 20)
    failures = []
    for body in bodies:
        status = await _post(stack, channel, body)
        if status >= 500:
            failures.append((status, body[:300]))
    assert failures == [], f"{len(failures)} of {len(bodies)} bodies got a 5xx: {failures[:5]}"
