"""Seed files: the DESIGN §7 format loads (the sample studio and the DESIGN example
verbatim), optional parts may be missing, and a broken seed says exactly what is wrong."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.integration.emulator.emulator_support import DESIGN_SEED, STUDIO_SEED, Crm, unix

from dancebot.adapters.crm.impulse.emulator import (
    EmulatorState,
    SeedError,
    load_seed,
    parse_seed,
)

STYLE_NAMES = {
    1: "Contemporary",
    2: "Hip-Hop",
    3: "High Heels",
    4: "Stretching",
    5: "Jazz-Funk",
    6: "Детская хореография",
    7: "Latina Solo",
}


def one_rule(**overrides: object) -> dict[str, object]:
    """A seed with one group and one schedule rule (fields overridden)."""
    rule = {"id": 2, "group": 1, "day": 1, "minutesBegin": 600, "minutesEnd": 660}
    rule["dateBegin"] = "2026-01-01"
    return {"group": [{"id": 1, "name": "G", "placeCount": 5}], "schedule": [rule | overrides]}


def write(tmp_path: Path, text: str, name: str = "seed.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_design_example_seed_loads_verbatim() -> None:
    seed = load_seed(DESIGN_SEED)

    assert seed.timezone == "Asia/Vladivostok"
    rule = seed.records["schedule"][100]
    assert (rule["group"], rule["hall"], rule["teacher"], rule["day"]) == (10, 1, 1, 3)
    assert (rule["dateBegin"], rule["dateEnd"]) == (date(2026, 1, 1), date(2026, 12, 31))
    assert seed.records["client"][500]["phone"] == "79991234567"
    assert seed.records["reservation"][9000]["date"] == date(2026, 3, 4)
    assert seed.records["reservation"][9000]["deleted"] is False


async def test_design_example_is_served_with_nested_references() -> None:
    state = EmulatorState(load_seed(DESIGN_SEED))

    reservation = state.load("reservation", 9000)

    assert reservation["date"] == 1772582400  # the value docs/impulse_api.md gives
    assert reservation["client"]["lastName"] == "Иванова"
    assert reservation["schedule"]["group"]["style"]["name"] == "Contemporary"


def test_studio_seed_has_the_contracted_names_and_example_rule() -> None:
    seed = load_seed(STUDIO_SEED)
    records = seed.records

    assert seed.timezone == "Asia/Vladivostok"
    assert {key: style["name"] for key, style in records["style"].items()} == STYLE_NAMES
    assert {hall["name"] for hall in records["hall"].values()} == {"Большой зал", "Малый зал"}
    assert len(records["group"]) >= 8
    assert len(records["schedule"]) >= 18
    rule = records["schedule"][100]
    assert (rule["group"], rule["hall"], rule["teacher"], rule["day"]) == (10, 1, 1, 3)
    assert (rule["minutesBegin"], rule["minutesEnd"]) == (1140, 1230)
    contemporary = [r for r in records["schedule"].values() if r["group"] in (10, 11)]
    assert len(contemporary) >= 3
    assert "79991234567" not in {client["phone"] for client in records["client"].values()}


def test_studio_seed_has_full_and_nearly_full_lessons_in_both_periods() -> None:
    state = EmulatorState.from_seed_file(STUDIO_SEED)

    for day in ("2026-03-04", "2026-03-11", "2026-11-25", "2026-12-16"):
        assert state.free_places(131, date.fromisoformat(day)) == 0
    for day in ("2026-03-07", "2026-03-14", "2026-11-28", "2026-12-19"):
        assert state.free_places(133, date.fromisoformat(day)) == 0
    assert state.free_places(100, date(2026, 3, 11)) == 1
    assert state.free_places(100, date(2026, 12, 2)) == 1


def test_optional_sections_missing_and_extra_keys_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "style: [{id: 3, name: Vogue, color: pink}]\n"
        "client: [{id: 7, name: Ян, phone: '+7 (999) 000-11-22', source: instagram}]\n",
    )

    seed = load_seed(path)
    state = EmulatorState(seed)

    assert seed.timezone == "UTC"
    assert seed.records["schedule"] == {} and seed.records["reservation"] == {}
    assert state.load("style", 3)["color"] == "pink"
    client = state.load("client", 7)
    assert client["phone"] == "79990001122"
    assert client["source"] == "instagram"
    assert client["lastName"] is None


def test_unquoted_numeric_phone_and_date_objects(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "group: [{id: 1, name: G, placeCount: 5}]\n"
        "schedule: [{id: 2, group: 1, day: 1, minutesBegin: 600, minutesEnd: 660,"
        " dateBegin: 2026-01-05}]\n"
        "client: [{id: 3, name: A, phone: 79990001122}]\n",
    )

    seed = load_seed(path)

    assert seed.records["client"][3]["phone"] == "79990001122"
    assert seed.records["schedule"][2]["dateBegin"] == date(2026, 1, 5)
    assert seed.records["schedule"][2]["dateEnd"] is None  # open-ended


def test_json_seed_loads(tmp_path: Path) -> None:
    document = {
        "timezone": "Europe/Moscow",
        "hall": [{"id": 4, "name": "Зал"}],
        "client": [{"id": 1, "name": "Б", "phone": "8 999 000 11 22"}],
    }
    path = write(tmp_path, json.dumps(document, ensure_ascii=False), name="seed.json")

    seed = load_seed(path)

    assert seed.timezone == "Europe/Moscow"
    assert seed.records["hall"][4]["name"] == "Зал"
    assert seed.records["client"][1]["phone"] == "89990001122"


def test_broken_reference_names_file_section_id_and_field(tmp_path: Path) -> None:
    text = DESIGN_SEED.read_text(encoding="utf-8").replace("client: 500", "client: 501")
    path = write(tmp_path, text, name="broken.yaml")

    with pytest.raises(SeedError) as caught:
        load_seed(path)

    message = str(caught.value)
    assert "broken.yaml" in message
    assert "reservation id=9000" in message
    assert "client" in message and "501" in message


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"group": [{"id": 1, "name": "G"}]}, "group id=1: placeCount: is required"),
        ({"style": [{"name": "X"}]}, "style[0]: id"),
        ({"style": [{"id": 1, "name": "A"}, {"id": 1, "name": "B"}]}, "duplicate"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"style": {"id": 1}}, "style: expected a list"),
        (one_rule(day=8), "schedule id=2: day"),
        (one_rule(dateBegin="2026-13-01"), "schedule id=2: dateBegin"),
        (one_rule(minutesEnd=1), "schedule id=2: minutesEnd: must be after minutesBegin"),
        (one_rule(dateEnd="2025-12-31"), "schedule id=2: dateEnd: must not be before"),
        (one_rule(group=3), "schedule id=2: group: no group with id 3"),
    ],
)
def test_malformed_records_are_named(document: dict[str, object], expected: str) -> None:
    with pytest.raises(SeedError, match="my-seed") as caught:
        parse_seed(document, source="my-seed")

    assert expected in str(caught.value)


def test_reservation_on_a_day_without_lesson_is_refused(tmp_path: Path) -> None:
    text = DESIGN_SEED.read_text(encoding="utf-8").replace("2026-03-04", "2026-03-05")
    path = write(tmp_path, text)

    with pytest.raises(SeedError, match=r"reservation id=9000: date: schedule 100 has no lesson"):
        load_seed(path)


def test_missing_file_is_a_seed_error(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match=r"nothing\.yaml"):
        load_seed(tmp_path / "nothing.yaml")


async def test_seeded_schedule_served_over_http(crm: Crm) -> None:
    rule = (await crm.list("schedule", {"columns": {"id": 100}}))["items"][0]

    assert rule["dateBegin"] == unix("2026-01-01")
    assert rule["dateEnd"] == unix("2027-06-30")
