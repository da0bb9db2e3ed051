from __future__ import annotations

import time
from pathlib import Path

from tests.integration.evaluation.scenario_support import (
    SAMPLE,
    SCENARIOS,
    scenario,
    write_scenario,
)

from dancebot.dialogue.pipeline import InboundPipeline
from dancebot.evaluation.harness import Workspace
from dancebot.evaluation.runner import run_scenario
from dancebot.evaluation.steps import ADMIN_UNSUPPORTED
from dancebot.evaluation.suite import run_suite


async def test_the_booking_scenario_passes_and_counts_messages_to_the_booking(
    workspace: Workspace,
) -> None:
    result = await run_scenario(scenario("pass/booking_wednesday.yaml"), workspace)
    assert result.passed, result.failures
    assert result.user_messages == 3 and result.user_messages_to_booking == 3
    crm = result.transcript["crm"]
    maria = {c["id"] for c in crm["clients"] if c["phone"] == "79991234567"}
    created = [r for r in crm["reservations"] if r["client"] in maria]
    assert [(r["schedule"], r["date"], r["deleted"]) for r in created] == [
        (100, "2026-03-04", False)
    ]
    steps = result.transcript["steps"]
    assert [s["state"] for s in steps][1] == "confirm_booking"
    assert steps[2]["inbound"]["type"] == "button"


async def test_every_fixture_under_pass_passes_and_each_gets_a_fresh_bot() -> None:
    outcomes = await run_suite([SCENARIOS / "pass"], SAMPLE, runs=2)
    assert outcomes and all(o.passed for o in outcomes), [o.failures for o in outcomes]
    # two runs of the same booking both book: neither saw the other's reservation or session
    booking = next(o for o in outcomes if o.scenario_id == "booking-wednesday")
    assert [r.user_messages_to_booking for r in booking.runs] == [3, 3]


async def test_a_scenario_that_must_fail_does_and_says_why(workspace: Workspace) -> None:
    result = await run_scenario(scenario("fail/wrong_expectation.yaml"), workspace)
    assert not result.passed
    by_check = {f.check: f for f in result.failures}
    assert set(by_check) == {
        "reply_contains",
        "final.crm.reservations_total",
        "final.max_user_steps",
    }
    wrong = by_check["reply_contains"]
    assert wrong.scenario_id == "wrong-expectation" and wrong.step == 1
    assert "Вы записаны на Луну" in wrong.expected and "19:00" in wrong.actual
    assert by_check["final.max_user_steps"].step is None


async def test_a_step_that_cannot_be_carried_out_stops_the_scenario(
    workspace: Workspace,
) -> None:
    result = await run_scenario(scenario("fail/missing_button.yaml"), workspace)
    [failure] = result.failures
    assert failure.step == 2 and failure.check == "press" and "Купить слона" in failure.actual
    assert [s["number"] for s in result.transcript["steps"]] == [1]


async def test_a_duplicate_is_the_same_delivery_and_gets_no_reply(workspace: Workspace) -> None:
    result = await run_scenario(scenario("pass/duplicate_delivery.yaml"), workspace)
    assert result.passed, result.failures
    first, again = (s["inbound"] for s in result.transcript["steps"])
    assert first == again
    assert result.user_messages == 1  # the channel's re-delivery is not a user message


async def test_a_voice_message_on_whatsapp_carries_the_senders_phone(
    workspace: Workspace,
) -> None:
    result = await run_scenario(scenario("pass/voice_message.yaml"), workspace)
    assert result.passed, result.failures
    [step] = result.transcript["steps"]
    assert step["inbound"]["type"] == "voice" and step["inbound"]["text"] is None
    assert step["inbound"]["sender_phone"] == "+79990010599"
    assert step["outbound"][0]["channel"] == "whatsapp"


async def test_the_confirm_reprompt_is_seen_by_expect_outbound_not_as_a_reply(
    workspace: Workspace,
) -> None:
    result = await run_scenario(scenario("pass/confirm_reprompt.yaml"), workspace)
    assert result.passed, result.failures
    steps = result.transcript["steps"]
    assert steps[2]["outbound"] == [] and steps[2]["to"] == "2026-03-02T10:59:00+10:00"
    [reprompt] = steps[4]["outbound"]
    assert reprompt["at"] == "2026-03-02T11:00:00+10:00" and reprompt["buttons"]
    assert result.user_messages_to_booking == 3


async def test_expect_outbound_fails_when_nothing_was_sent_on_its_own(
    workspace: Workspace, tmp_path: Path
) -> None:
    written = write_scenario(
        tmp_path,
        "steps:\n  - user: Привет\n  - advance: 10m\n  - expect_outbound: {contains: [Привет]}\n",
    )
    result = await run_scenario(written, workspace)
    [failure] = result.failures
    assert failure.step == 3 and failure.check == "contains" and failure.actual == "(no reply)"


async def test_crm_down_makes_the_emulator_fail_until_it_is_up(workspace: Workspace) -> None:
    started = time.perf_counter()
    result = await run_scenario(scenario("pass/crm_down.yaml"), workspace)
    assert result.passed, result.failures
    down, _, up = result.transcript["steps"]
    assert down["crm"] == "down" and "changes nothing" in down["llm_note"]
    assert up["crm"] == "up"
    assert time.perf_counter() - started < 20


async def test_a_slow_crm_times_out_within_seconds(workspace: Workspace, tmp_path: Path) -> None:
    written = write_scenario(
        tmp_path,
        "steps:\n  - fault: {crm: slow}\n  - user: Хочу на контемп в среду в 19\n"
        "    expect: {no_reply: false}\nfinal: {crm: {reservations_total: 0}}\n",
    )
    started = time.perf_counter()
    result = await run_scenario(written, workspace)
    assert result.passed, result.failures
    assert result.transcript["steps"][0]["crm_delay_seconds"] == 3.0
    assert time.perf_counter() - started < 30


async def test_an_edit_reuses_the_message_id_and_is_answered(
    workspace: Workspace, tmp_path: Path
) -> None:
    written = write_scenario(
        tmp_path,
        "steps:\n  - user: Хочу на контемп в среду в 19\n"
        "  - edit: {step: 1, text: Хочу на контемп в пятницу в 20}\n"
        "    expect: {no_reply: false}\n",
    )
    result = await run_scenario(written, workspace)
    assert result.passed, result.failures
    original, edited = (s["inbound"] for s in result.transcript["steps"])
    assert edited["message_id"] == original["message_id"] and edited["is_edit"]
    assert edited["timestamp"] > original["timestamp"]


async def test_admin_steps_wait_for_admin_commands(workspace: Workspace, tmp_path: Path) -> None:
    written = write_scenario(
        tmp_path, "steps:\n  - user: Привет\n  - admin: '/reply {chat_id} Конечно'\n"
    )
    result = await run_scenario(written, workspace)
    if hasattr(InboundPipeline, "handle_admin"):
        assert result.transcript["steps"][1]["admin"] == "/reply 2001 Конечно"
    else:
        [failure] = result.failures
        assert failure.step == 2 and failure.actual == ADMIN_UNSUPPORTED


async def test_a_state_check_and_a_crash_free_run_of_unknown_text(
    workspace: Workspace, tmp_path: Path
) -> None:
    written = write_scenario(
        tmp_path,
        "steps:\n  - user: Хочу на контемп в среду в 19\n    expect: {state: idle}\n",
    )
    result = await run_scenario(written, workspace)
    [failure] = result.failures
    assert failure.check == "state" and failure.expected == "idle"
    assert failure.actual.startswith("state collecting_")


async def test_building_a_bot_per_scenario_is_fast(workspace: Workspace, tmp_path: Path) -> None:
    written = write_scenario(tmp_path, "steps:\n  - send: {type: sticker}\n")
    started = time.perf_counter()
    for _ in range(5):
        result = await run_scenario(written, workspace)
        assert result.passed, result.failures
    assert (time.perf_counter() - started) / 5 < 1.0
