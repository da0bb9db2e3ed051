"""Loading and validating KB files: every refusal names the file, the field and the problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dancebot.kb import KbProblem, KnowledgeBaseError, load_kb, validate_kb_file
from dancebot.kb.loader import field_path

Data = dict[str, Any]
WriteKb = Callable[[Data], Path]


@pytest.mark.parametrize("name", ["studio_tatyana.yaml", "_template.yaml"])
def test_shipped_files_validate(knowledge_dir: Path, name: str) -> None:
    path = knowledge_dir / name
    assert validate_kb_file(path) == []
    assert load_kb(path).schema_version == "1.0"


def test_teacher_rating_is_refused_naming_file_and_field(fixtures_dir: Path) -> None:
    path = fixtures_dir / "teacher_rating.yaml"
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb(path)
    error = caught.value
    assert error.path == str(path)
    assert error.problems == [KbProblem("teachers[1].rating", "unknown field (not in schema v1.0)")]
    assert str(error) == f"{path}: teachers[1].rating: unknown field (not in schema v1.0)"


def _set(section: str, field: str, value: object) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data[section][field] = value

    return change


def _drop(section: str, field: str | None = None) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        if field is None:
            del data[section]
        else:
            del data[section][field]

    return change


def _first(section: str, field: str, value: object) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data[section][0][field] = value

    return change


def _duplicate_service(data: Data) -> None:
    data["services"].append(dict(data["services"][0], name="Другой"))


def _top(field: str, value: object) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data[field] = value

    return change


REFUSALS: list[tuple[str, Callable[[Data], None], str, str]] = [
    ("version-2", _top("schema_version", "2.0"), "schema_version", 'must be the string "1.0"'),
    ("version-float", _top("schema_version", 1.0), "schema_version", 'must be the string "1.0"'),
    ("timezone", _set("studio", "timezone", "Europe/Moskva"), "studio.timezone", "IANA"),
    ("phone-garbage", _set("studio", "phone", "позвоните нам"), "studio.phone", "E.164"),
    ("phone-spaces", _set("studio", "phone", "+7 495 123-45-67"), "studio.phone", "+74951234567"),
    ("phone-invalid", _set("studio", "phone", "+7000"), "studio.phone", "not a valid"),
    ("pronouns", _set("tone", "pronouns", "Вы"), "tone.pronouns", "'ты' or 'вы'"),
    ("emoji", _set("tone", "emoji", 3), "tone.emoji", "less than or equal to 2"),
    ("language", _set("tone", "language", "en"), "tone.language", "'ru'"),
    ("no-services", _top("services", []), "services", "at least one service"),
    ("duplicate-service", _duplicate_service, "services[1].id", "duplicate id 'hiphop'"),
    ("negative-price", _first("services", "price_single", -1), "services[0].price_single", "0"),
    ("text-price", _first("services", "price_single", "800"), "services[0].price_single", "whole"),
    ("unknown-style", _first("teachers", "styles", ["ballet"]), "teachers[0].styles[0]", "ballet"),
    ("holiday-order", _first("holidays", "from", "2027-01-09"), "holidays[0]", "after 'to'"),
    ("holiday-date", _first("holidays", "to", "9 января"), "holidays[0].to", "date"),
    (
        "admin-id",
        _set("escalation", "admin_telegram_id", "admins"),
        "escalation.admin_telegram_id",
        "whole",
    ),
    ("serial-max", _set("policies", "serial_booking_max", 21), "policies.serial_booking_max", "20"),
    ("missing-section", _drop("escalation"), "escalation", "required field is missing"),
    ("missing-field", _drop("studio", "timezone"), "studio.timezone", "required field is missing"),
    ("unknown-section", _top("prices", {}), "prices", "unknown field"),
]


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_refusals_name_field_and_problem(
    template_data: Data, write_kb: WriteKb, change: Callable[[Data], None], field: str, problem: str
) -> None:
    change(template_data)
    path = write_kb(template_data)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb(path)
    fields = [p.field for p in caught.value.problems]
    assert field in fields, str(caught.value)
    matching = next(p for p in caught.value.problems if p.field == field)
    assert problem in matching.problem
    assert f"{path}: {field}: " in str(caught.value)


def test_every_problem_is_reported_at_once(template_data: Data, write_kb: WriteKb) -> None:
    template_data["studio"]["phone"] = "123"
    template_data["teachers"][0]["rating"] = 5
    del template_data["tone"]
    lines = validate_kb_file(write_kb(template_data))
    assert len(lines) == 3
    assert {line.split(": ")[1] for line in lines} == {"studio.phone", "teachers[0].rating", "tone"}


@pytest.mark.parametrize(
    ("section", "field"),
    [("policies", None), ("studio", "how_to_get"), ("services", "trial_price")],
    ids=["policies", "how_to_get", "trial_price"],
)
def test_optional_parts_may_be_left_out(
    template_data: Data, write_kb: WriteKb, section: str, field: str | None
) -> None:
    if field is None:
        del template_data[section]
    elif isinstance(template_data[section], list):
        del template_data[section][0][field]
    else:
        del template_data[section][field]
    kb = load_kb(write_kb(template_data))
    assert (kb.policies.late_cancel_hours, kb.policies.serial_booking_max) == (2, 5)
    assert kb.policies.booking_horizon_days == 30
    if field == "trial_price":
        assert kb.services[0].trial_price is None


@pytest.mark.parametrize(
    ("name", "field", "problem"),
    [
        ("syntax_error.yaml", "line 5, column 5", "YAML syntax error"),
        ("duplicate_key.yaml", "line 4, column 3", "duplicate key 'name'"),
        ("not_a_mapping.yaml", "", "top level must be a mapping"),
        ("no_such_file.yaml", "", "file not found"),
    ],
)
def test_file_level_problems(fixtures_dir: Path, name: str, field: str, problem: str) -> None:
    path = fixtures_dir / name
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb(path)
    [found] = caught.value.problems
    assert found.field == field
    assert problem in found.problem
    assert str(caught.value).startswith(f"{path}: {field + ': ' if field else ''}")


def test_empty_file_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert validate_kb_file(path) == [
        f"{path}: the top level must be a mapping of sections, the file is empty"
    ]


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("teachers", 2, "rating"), "teachers[2].rating"),
        (("studio", "phone"), "studio.phone"),
        (("services", 0, "aliases", 3), "services[0].aliases[3]"),
        (("tone",), "tone"),
        ((), ""),
    ],
)
def test_field_path(loc: tuple[int | str, ...], path: str) -> None:
    assert field_path(loc) == path
