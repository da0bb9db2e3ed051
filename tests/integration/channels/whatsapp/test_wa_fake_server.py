"""The fake Graph API's own wire format, checked with plain HTTP (no adapter): the success
and error shapes Meta documents, the token check, and what it records."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.integration.channels.whatsapp.conftest import PHONE_NUMBER_ID, TOKEN, WA_ID, Graph

from dancebot.testing.fake_whatsapp import FakeWhatsApp

TEXT: dict[str, Any] = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "+" + WA_ID,
    "type": "text",
    "text": {"preview_url": False, "body": "Привет"},
}


async def _post(graph: Graph, body: Any, *, token: str = TOKEN) -> httpx.Response:
    return await graph.http.post(
        f"{graph.api_base}/{PHONE_NUMBER_ID}/messages",
        json=body,
        headers={"Authorization": f"Bearer {token}", "X-Trace": "abc"},
    )


async def test_success_has_metas_shape(graph: Graph, fake: FakeWhatsApp) -> None:
    response = await _post(graph, TEXT)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+" + WA_ID, "wa_id": WA_ID}],
        "messages": [{"id": fake.sent[0].wamid}],
    }
    assert fake.messages_to(WA_ID) == fake.sent


async def test_templates_are_answered_accepted(graph: Graph) -> None:
    body = {
        **TEXT,
        "type": "template",
        "template": {"name": "lesson_reminder_2h", "language": {"code": "ru"}, "components": []},
    }
    body["template"]["components"] = [
        {
            "type": "body",
            "parameters": [{"type": "text", "text": "А"}, {"type": "text", "text": "Б"}],
        }
    ]
    response = await _post(graph, body)
    assert response.json()["messages"][0]["message_status"] == "accepted"


async def test_errors_have_metas_shape(graph: Graph, fake: FakeWhatsApp) -> None:
    fake.fail_next("131047")
    response = await _post(graph, TEXT)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 131047
    assert error["type"] == "OAuthException"
    assert error["message"] == "(#131047) Re-engagement message"
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert "24 hours" in error["error_data"]["details"]
    assert error["fbtrace_id"]


async def test_a_bad_or_missing_token_is_401_code_190(graph: Graph, fake: FakeWhatsApp) -> None:
    wrong = await _post(graph, TEXT, token="nope")
    missing = await graph.http.post(f"{graph.api_base}/{PHONE_NUMBER_ID}/messages", json=TEXT)
    for response in (wrong, missing):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == 190
    assert fake.sent == []


async def test_four_reply_buttons_are_refused_like_meta(graph: Graph) -> None:
    body = {
        **TEXT,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": str(n), "title": str(n)}} for n in range(4)
                ]
            },
        },
    }
    response = await _post(graph, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 131009
    assert response.json()["error"]["message"] == "(#131009) Parameter value is not valid"


async def test_every_request_is_recorded_without_the_token(
    graph: Graph, fake: FakeWhatsApp
) -> None:
    await _post(graph, TEXT)
    await _post(graph, {"to": WA_ID}, token="nope")
    assert [r.body for r in fake.requests] == [TEXT, {"to": WA_ID}]
    for request in fake.requests:
        assert "authorization" not in request.headers
        assert request.headers["x-trace"] == "abc"
        assert TOKEN not in repr(request)


def test_unknown_failure_kinds_are_refused(fake: FakeWhatsApp) -> None:
    with pytest.raises(ValueError, match="unknown failure"):
        fake.fail_next("418")


async def test_reset_forgets_everything(graph: Graph, fake: FakeWhatsApp) -> None:
    await _post(graph, TEXT)
    fake.client_wrote(WA_ID, fake.now())
    fake.fail_next("500")
    fake.reset()
    assert (fake.requests, fake.sent, fake.last_inbound) == ([], [], {})
    assert (await _post(graph, TEXT)).status_code == 200
