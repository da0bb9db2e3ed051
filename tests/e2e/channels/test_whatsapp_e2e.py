"""WhatsApp end to end, and the service's own endpoints."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.channels.conftest import WA_VERIFY, Stack, reservations_of

from dancebot.testing.fake_whatsapp.webhooks import inbound_text

WA_ID = "79991234567"


async def _say(stack: Stack, text: str, wamid: str) -> None:
    payload = inbound_text(wa_id=WA_ID, text=text, at=stack.clock.now(), name="Мария", wamid=wamid)
    answer = await stack.post_whatsapp(payload)
    assert answer.status_code == 200, answer.text
    await stack.settle()


def _texts(stack: Stack) -> list[str]:
    return [m.text or "" for m in stack.whatsapp.sent if m.to == WA_ID]


async def test_a_signed_whatsapp_message_books_with_the_senders_phone(stack: Stack) -> None:
    await _say(stack, "Хочу на контемп в среду в 19", "wamid.1")
    await _say(stack, "Мария", "wamid.2")
    summary = _texts(stack)[-1]
    assert "+7 999 123-45-67" in summary and "Всё верно?" in summary  # phone from the channel
    await _say(stack, "да", "wamid.3")
    receipt = _texts(stack)[-1]
    assert "вы записаны" in receipt and "Светланская" in receipt
    assert all(len(t) <= 200 for t in _texts(stack))
    assert len(reservations_of(stack.emulator, WA_ID)) == 1


async def test_a_bad_or_missing_signature_is_rejected(stack: Stack) -> None:
    payload = inbound_text(wa_id=WA_ID, text="Привет", at=stack.clock.now(), wamid="wamid.x")
    assert (await stack.post_whatsapp(payload, secret=None)).status_code == 401
    assert (await stack.post_whatsapp(payload, secret="not-the-secret")).status_code == 403
    await stack.settle()
    assert stack.whatsapp.sent == []


async def test_subscription_verification(stack: Stack) -> None:
    ok = await stack.http.get(
        f"{stack.url}/webhook/whatsapp",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": WA_VERIFY,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = await stack.http.get(
        f"{stack.url}/webhook/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert bad.status_code == 403


async def test_reminders_go_out_through_the_worker_as_templates(stack: Stack) -> None:
    await _say(stack, "Хочу на контемп в среду в 19", "wamid.1")
    await _say(stack, "Мария", "wamid.2")
    await _say(stack, "да", "wamid.3")
    before = len(stack.whatsapp.sent)
    # Tuesday 19:00 is 24 h before the lesson; the worker's due-work runs at its start
    stack.clock.set(stack.clock.now() + timedelta(hours=33))
    await stack.run_worker()  # due work: the reminder is queued
    await stack.run_worker()  # and delivered
    sent = stack.whatsapp.sent[before:]
    assert [m.type for m in sent] == ["template"]
    assert sent[0].body["template"]["name"] == "lesson_reminder_24h"


async def test_health_reports_every_dependency(stack: Stack) -> None:
    answer = await stack.http.get(f"{stack.url}/health")
    assert answer.status_code == 200
    report = answer.json()
    assert report["status"] == "ok" and report["redis"] == "ok" and report["db"] == "ok"
    assert report["crm"] == "ok"
    assert report["channels"] == {"telegram": "ok", "whatsapp": "ok", "admin_chat": "ok"}
    stack.emulator.set_fault("down")
    await stack.redis.delete(stack.keys.crm_health())  # the cached check has run out
    degraded = (await stack.http.get(f"{stack.url}/health")).json()
    assert degraded["status"] == "degraded" and degraded["crm"] == "down"
    stack.emulator.set_fault("none")


async def test_metrics_count_what_was_dropped(stack: Stack) -> None:
    payload = inbound_text(wa_id=WA_ID, text="Привет", at=stack.clock.now(), wamid="wamid.m")
    await stack.post_whatsapp(payload)
    await stack.post_whatsapp(payload)
    metrics = (await stack.http.get(f"{stack.url}/metrics")).text
    assert 'dancebot_inbound_dropped_total{channel="whatsapp",reason="duplicate"}' in metrics
