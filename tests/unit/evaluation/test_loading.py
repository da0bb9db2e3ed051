from __future__ import annotations

from pathlib import Path

import pytest

from dancebot.evaluation.loader import LoadedScenario, LoadProblem, load_all, load_scenario
from dancebot.evaluation.model import AdvanceStep, PressStep, UserStep

HEADER = """\
id: t
now: "2026-03-02T10:00:00+10:00"
channel: telegram
user: {chat_id: "1"}
"""


def _load(tmp_path: Path, body: str, header: str = HEADER) -> LoadedScenario | LoadProblem:
    path = tmp_path / "scenario.yaml"
    path.write_text(header + body, encoding="utf-8")
    return load_scenario(path)


def _problem(tmp_path: Path, body: str, header: str = HEADER) -> str:
    loaded = _load(tmp_path, body, header)
    assert isinstance(loaded, LoadProblem), loaded
    assert str(tmp_path / "scenario.yaml") in loaded.message  # every problem names the file
    return loaded.message


def test_text_is_kept_as_typed_not_read_as_yaml_types(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "steps:\n  - user: 19:00\n  - press: Yes\n  - user: 0700\n")
    assert isinstance(loaded, LoadedScenario)
    steps = loaded.scenario.steps
    assert isinstance(steps[0], UserStep) and steps[0].user == "19:00"
    assert isinstance(steps[1], PressStep) and steps[1].press == "Yes"
    assert isinstance(steps[2], UserStep) and steps[2].user == "0700"


def test_numbers_booleans_and_nulls_still_fill_typed_fields(tmp_path: Path) -> None:
    header = HEADER.replace('user: {chat_id: "1"}', "user: {chat_id: 1001, first_name: null}")
    loaded = _load(
        tmp_path,
        "steps:\n  - duplicate: true\n    expect: {no_reply: yes}\n  - advance: 2h\n"
        "final: {admin_messages_min: 2}\n",
        header,
    )
    assert isinstance(loaded, LoadedScenario)
    scenario = loaded.scenario
    assert scenario.user.chat_id == "1001" and scenario.user.first_name is None
    assert scenario.steps[0].expect is not None and scenario.steps[0].expect.no_reply is True
    assert isinstance(scenario.steps[1], AdvanceStep) and scenario.steps[1].delta.seconds == 7200
    assert scenario.final is not None and scenario.final.admin_messages_min == 2


def test_unknown_top_level_keys_are_ignored(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "owner: someone\nsteps:\n  - user: Привет\n")
    assert isinstance(loaded, LoadedScenario)


def test_an_unknown_step_kind_is_named(tmp_path: Path) -> None:
    message = _problem(tmp_path, "steps:\n  - user: Привет\n  - usr: Привет\n")
    assert "step 2" in message and "unknown step kind" in message and "usr" in message


def test_an_unknown_check_is_named_with_its_place(tmp_path: Path) -> None:
    message = _problem(tmp_path, "steps:\n  - user: Привет\n    expect: {reply_contain: [a]}\n")
    assert "steps[1].expect: unknown key 'reply_contain'" in message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("steps:\n  - {user: a, press: b}\n", "several kinds"),
        ("steps:\n  - user: a\n    expect: {state: confirm_bookng}\n", "unknown state"),
        ("steps:\n  - advance: 90\n", "not a duration"),
        ("steps:\n  - send: {type: gif}\n", "steps[1].send.type"),
        ("steps:\n  - fault: {}\n", "crm (down|up|slow)"),
        ("steps:\n  - duplicate: false\n", "duplicate: true"),
        ("steps:\n  - user: a\n  - edit: {step: 2, text: b}\n", "edits user step 2"),
        ("steps:\n  - user: a\n    expect: {reply_matches: '('}\n", "regular expression"),
        ("steps:\n  - expect_outbound: {contains: [a], extra: 1}\n", "unknown key 'extra'"),
        ("steps:\n  - user: a\nfinal: {crm: {reservation: []}}\n", "unknown key 'reservation'"),
        ("steps: []\n", "steps"),
    ],
)
def test_other_mistakes_are_explained(tmp_path: Path, body: str, words: str) -> None:
    assert words in _problem(tmp_path, body)


def test_a_missing_field_and_a_bad_channel(tmp_path: Path) -> None:
    header = HEADER.replace("channel: telegram\n", "channel: viber\n").replace("id: t\n", "")
    message = _problem(tmp_path, "steps:\n  - user: a\n", header)
    assert "id: required" in message and "channel" in message


def test_whatsapp_needs_a_real_phone(tmp_path: Path) -> None:
    header = HEADER.replace("telegram", "whatsapp").replace('"1"}', '"1", phone: "12"}')
    assert "user.phone" in _problem(tmp_path, "steps:\n  - user: a\n", header)


def test_broken_yaml_and_non_mappings(tmp_path: Path) -> None:
    assert "not valid YAML" in _problem(tmp_path, "steps: [ {user: a\n")
    assert "one mapping" in _problem(tmp_path, "", header="- just\n- a list\n")


def test_folders_are_searched_sorted_and_ids_must_be_unique(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "one.yaml").write_text(HEADER + "steps:\n  - user: a\n", "utf-8")
    (tmp_path / "a.yaml").write_text(HEADER + "steps:\n  - user: a\n", "utf-8")
    (tmp_path / "notes.txt").write_text("not a scenario", "utf-8")
    results = load_all([tmp_path, tmp_path / "a.yaml", tmp_path / "missing", tmp_path / "b"])
    assert [type(r).__name__ for r in results] == ["LoadedScenario", "LoadProblem", "LoadProblem"]
    assert isinstance(results[1], LoadProblem) and "already used" in results[1].message
    assert isinstance(results[2], LoadProblem) and "no such file" in results[2].message


def test_an_empty_folder_is_a_problem(tmp_path: Path) -> None:
    [result] = load_all([tmp_path])
    assert isinstance(result, LoadProblem) and "no *.yaml files" in result.message
