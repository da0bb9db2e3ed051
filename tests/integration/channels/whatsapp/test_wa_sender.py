"""The WhatsApp sender against the fake Graph API over HTTP (in-process and a real port):
what goes on the wire, what comes back, and how each failure maps to a ChannelError."""

from __future__ import annotations

import socket
from datetime import timedelta

import httpx
import pytest
from structlog.testing import capture_logs
from tests.integration.channels.whatsapp.conftest import (
    PHONE_NUMBER_ID,
    TOKEN,
    WA_ID,
    Graph,
)

from dancebot.adapters.channels.whatsapp.sender import WhatsAppSender
from dancebot.adapters.clock import VirtualClock
from dancebot.domain.messages import Button, Channel, OutboundMessage, TemplateCall
from dancebot.ports.channels import (
    ChannelRateLimited,
    ChannelRejected,
    ChannelUnavailable,
    OutsideWindow,
)
from dancebot.testing.fake_whatsapp import FakeWhatsApp, create_fake_whatsapp_app
from dancebot.testing.serve import serve_app


def _message(text: str = "Привет!", *buttons: Button) -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.WHATSAPP, chat_id=WA_ID, text=text, buttons=buttons, trace_id="t-1"
    )


def _reminder() -> OutboundMessage:
    call = TemplateCall(name="lesson_reminder_2h", params=("Анна", "Бачата в 19:00"))
    return _message("Анна, через 2 часа — Бачата в 19:00. Ждём!").model_copy(
        update={"template": call}
    )


async def test_text_goes_to_the_phone_numbers_messages_endpoint(
    sender: WhatsAppSender, fake: FakeWhatsApp
) -> None:
    delivery = await sender.send(_message("Привет! Чем помочь?"))
    [sent] = fake.sent
    assert delivery.channel_message_id == sent.wamid
    assert sent.wamid.startswith("wamid.")
    assert (sent.to, sent.type, sent.text) == (WA_ID, "text", "Привет! Чем помочь?")
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", f"/v21.0/{PHONE_NUMBER_ID}/messages")
    assert "authorization" not in request.headers
    assert request.headers["content-type"] == "application/json"


async def test_three_buttons_arrive_as_reply_buttons(
    sender: WhatsAppSender, fake: FakeWhatsApp
) -> None:
    buttons = [Button(title=t, payload=f"slot:{n}") for n, t in enumerate(["Пн", "Ср", "Пт"])]
    await sender.send(_message("Когда удобно?", *buttons))
    [sent] = fake.sent
    interactive = sent.body["interactive"]
    assert interactive["type"] == "button"
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == [
        "slot:0",
        "slot:1",
        "slot:2",
    ]
    assert sent.text == "Когда удобно?"


async def test_five_buttons_arrive_as_a_list(sender: WhatsAppSender, fake: FakeWhatsApp) -> None:
    buttons = [Button(title=f"Пт {h}:00", payload=f"h{h}") for h in range(16, 21)]
    await sender.send(_message("Выберите время", *buttons))
    [sent] = fake.sent
    action = sent.body["interactive"]["action"]
    assert sent.body["interactive"]["type"] == "list"
    assert action["button"] == "Выбрать"
    assert [row["id"] for row in action["sections"][0]["rows"]] == [f"h{h}" for h in range(16, 21)]


async def test_long_titles_are_shortened_so_meta_accepts_them(
    sender: WhatsAppSender, fake: FakeWhatsApp
) -> None:
    buttons = [
        Button(title="Записаться на пробное занятие", payload="trial"),
        Button(title="Записаться на пробное по субботам", payload="trial-sat"),
    ]
    await sender.send(_message("Что дальше?", *buttons))
    [sent] = fake.sent  # the fake refuses titles > 20 characters or equal titles (131009)
    titles = [b["reply"]["title"] for b in sent.body["interactive"]["action"]["buttons"]]
    assert all(len(t) <= 20 for t in titles)
    assert len(set(titles)) == 2


async def test_a_template_is_accepted_outside_the_window(
    sender: WhatsAppSender, fake: FakeWhatsApp
) -> None:
    fake.enforce_window = True
    delivery = await sender.send(_reminder())
    [sent] = fake.sent
    assert delivery.channel_message_id == sent.wamid
    assert sent.type == "template"
    assert sent.body["template"]["name"] == "lesson_reminder_2h"


async def test_free_text_follows_the_window_by_the_fakes_clock(
    sender: WhatsAppSender, fake: FakeWhatsApp, clock: VirtualClock
) -> None:
    fake.enforce_window = True
    with pytest.raises(OutsideWindow, match="131047"):
        await sender.send(_message())
    fake.client_wrote(WA_ID, clock.now())
    clock.advance(timedelta(hours=23, minutes=59))
    await sender.send(_message())
    clock.advance(timedelta(minutes=1))
    with pytest.raises(OutsideWindow):
        await sender.send(_message())
    assert len(fake.sent) == 1


@pytest.mark.parametrize(
    ("kind", "expected", "code"),
    [
        ("429", ChannelRateLimited, "4"),
        ("130429", ChannelRateLimited, "130429"),
        ("131056", ChannelRateLimited, "131056"),
        ("80007", ChannelRateLimited, "80007"),
        ("131047", OutsideWindow, "131047"),
        ("500", ChannelUnavailable, "131000"),
        ("503", ChannelUnavailable, "131016"),
        ("131026", ChannelRejected, "131026"),
        ("132001", ChannelRejected, "132001"),
        ("190", ChannelRejected, "190"),
    ],
)
async def test_each_programmed_failure_maps_to_its_channel_error(
    sender: WhatsAppSender,
    fake: FakeWhatsApp,
    kind: str,
    expected: type[Exception],
    code: str,
) -> None:
    fake.fail_next(kind)
    with pytest.raises(expected) as caught:
        await sender.send(_message())
    assert type(caught.value) is expected
    assert f"error {code}" in str(caught.value)
    assert fake.sent == []
    # the failure was used up: the next message goes through
    await sender.send(_message())
    assert len(fake.sent) == 1


async def test_failures_can_repeat_and_carry_retry_after(
    sender: WhatsAppSender, fake: FakeWhatsApp
) -> None:
    fake.fail_next("429", times=2, retry_after=3)
    for _ in range(2):
        with pytest.raises(ChannelRateLimited) as caught:
            await sender.send(_message())
        assert caught.value.retry_after == 3.0
    await sender.send(_message())
    assert len(fake.requests) == 3


async def test_a_wrong_token_is_rejected_with_code_190(graph: Graph, fake: FakeWhatsApp) -> None:
    sender = WhatsAppSender(
        graph.http, token="wrong-token", phone_number_id=PHONE_NUMBER_ID, api_base=graph.api_base
    )
    with pytest.raises(ChannelRejected, match="HTTP 401 error 190") as caught:
        await sender.send(_message())
    assert "wrong-token" not in str(caught.value)
    assert fake.sent == []


async def test_another_phone_number_id_is_rejected(graph: Graph, fake: FakeWhatsApp) -> None:
    sender = WhatsAppSender(graph.http, token=TOKEN, phone_number_id="999", api_base=graph.api_base)
    with pytest.raises(ChannelRejected, match="error 100"):
        await sender.send(_message())


async def test_a_template_with_a_missing_parameter_never_leaves(
    sender: WhatsAppSender, fake: FakeWhatsApp
) -> None:
    call = TemplateCall(name="booking_confirm", params=("Анна",))
    with pytest.raises(ChannelRejected, match="takes 3 parameters"):
        await sender.send(_message().model_copy(update={"template": call}))
    assert fake.requests == []


async def test_typing_is_a_silent_no_op(sender: WhatsAppSender, fake: FakeWhatsApp) -> None:
    assert await sender.typing(WA_ID) is None
    assert fake.requests == []


async def test_the_token_never_reaches_the_logs_and_phones_are_masked(
    sender: WhatsAppSender, fake: FakeWhatsApp
) -> None:
    with capture_logs() as logs:
        await sender.send(_message())
        fake.fail_next("131026")
        fake.fail_next("500")
        for _ in range(2):
            with pytest.raises((ChannelRejected, ChannelUnavailable)):
                await sender.send(_message())
        await sender.send(_message("Выберите", *[Button(title=f"b{n}") for n in range(12)]))
    assert [entry["event"] for entry in logs] == [
        "whatsapp_sent",
        "whatsapp_send_failed",
        "whatsapp_send_failed",
        "whatsapp_buttons_dropped",
        "whatsapp_sent",
    ]
    dumped = repr(logs)
    assert TOKEN not in dumped
    assert WA_ID not in dumped
    assert "+7999****567" in dumped


async def test_the_fake_also_answers_without_a_version_prefix(fake: FakeWhatsApp) -> None:
    app = create_fake_whatsapp_app(fake, token=TOKEN, phone_number_id=PHONE_NUMBER_ID)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        sender = WhatsAppSender(
            http, token=TOKEN, phone_number_id=PHONE_NUMBER_ID, api_base="http://graph.test/"
        )
        await sender.send(_message())
    assert fake.requests[0].path == f"/{PHONE_NUMBER_ID}/messages"
    assert len(fake.sent) == 1


async def test_a_slow_answer_over_a_real_socket_is_unavailable(fake: FakeWhatsApp) -> None:
    app = create_fake_whatsapp_app(fake, token=TOKEN, phone_number_id=PHONE_NUMBER_ID)
    fake.fail_next("timeout", delay=1.0)
    async with serve_app(app) as base_url, httpx.AsyncClient() as http:
        sender = WhatsAppSender(
            http,
            token=TOKEN,
            phone_number_id=PHONE_NUMBER_ID,
            api_base=f"{base_url}/v21.0",
            timeout=0.2,
        )
        with pytest.raises(ChannelUnavailable, match="did not answer"):
            await sender.send(_message())
        # the fake is fine again for the next message
        delivery = await sender.send(_message())
    assert delivery.channel_message_id is not None


async def test_nobody_listening_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with httpx.AsyncClient() as http:
        sender = WhatsAppSender(
            http, token=TOKEN, phone_number_id=PHONE_NUMBER_ID, api_base=f"http://127.0.0.1:{port}"
        )
        with pytest.raises(ChannelUnavailable, match="unreachable"):
            await sender.send(_message())
