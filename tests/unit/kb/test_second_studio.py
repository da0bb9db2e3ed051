"""A second, small studio in another time zone: nothing is hard-wired to the sample studio."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dancebot.adapters.crm.impulse.emulator.seed import load_seed
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.kb import KnowledgeBase, load_kb, validate_kb_file
from dancebot.nlu.services import ServiceMatcher

STUDIO = Path(__file__).resolve().parents[3] / "examples" / "studio_second"
KB_FILE = STUDIO / "knowledge.yaml"
SEED_FILE = STUDIO / "seed.yaml"

FULL_SCHEDULE, FULL_DAY = 332, date(2026, 3, 7)  # Pole Dance, Saturday 13:00


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb(KB_FILE)


def test_kb_validates_and_is_a_different_studio(kb: KnowledgeBase) -> None:
    assert validate_kb_file(KB_FILE) == []
    assert kb.studio.name == "Танцевальная школа Ритм"
    assert kb.tz == ZoneInfo("Asia/Yekaterinburg")
    assert {s.id for s in kb.services} == {"ballroom", "zumba", "breakdance", "pole"}
    assert len(kb.faq) >= 6
    assert kb.policies.late_cancel_hours == 4
    assert kb.policies.serial_booking_max == 8
    assert kb.holiday_on(date(2026, 6, 13)) is not None
    assert kb.holiday_on(date(2026, 6, 15)) is None


def test_seed_loads_in_the_studio_time_zone(kb: KnowledgeBase) -> None:
    seed = load_seed(SEED_FILE)
    assert seed.timezone == kb.studio.timezone
    assert len(seed.records["schedule"]) >= 8


def test_every_seed_style_is_a_kb_service_name(kb: KnowledgeBase) -> None:
    styles = {record["name"] for record in load_seed(SEED_FILE).records["style"].values()}
    assert styles == {service.name for service in kb.services}


@pytest.mark.parametrize(
    ("text", "service_id"),
    [
        ("хочу на бальные", "ballroom"),
        ("научиться вальсу", "ballroom"),
        ("запишите на зумбу", "zumba"),
        ("Zumba в субботу", "zumba"),
        ("сын хочет на брейк", "breakdance"),
        ("брейкданс для подростков", "breakdance"),
        ("break", "breakdance"),
        ("пилон", "pole"),
        ("занятия на пилоне", "pole"),
        ("пол дэнс", "pole"),
    ],
)
def test_matcher_finds_each_service_by_alias(kb: KnowledgeBase, text: str, service_id: str) -> None:
    found = ServiceMatcher(kb.services).match(text)
    assert found is not None
    assert found.service.id == service_id


def test_the_sample_studios_styles_are_unknown_here(kb: KnowledgeBase) -> None:
    assert ServiceMatcher(kb.services).match("хочу на контемп") is None


def test_one_lesson_is_full_in_the_reference_week() -> None:
    state = EmulatorState.from_seed_file(SEED_FILE)
    assert state.free_places(FULL_SCHEDULE, FULL_DAY) == 0
    assert state.free_places(331, date(2026, 3, 4)) == 2  # the Wednesday pole lesson
    assert state.free_places(FULL_SCHEDULE, date(2026, 3, 14)) == 4  # the next Saturday
