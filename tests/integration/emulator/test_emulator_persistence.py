"""The optional state file: changes survive a restart (a second ``EmulatorState`` on the same
file), ids keep growing, ``reset`` rewrites it, and a broken file is a clear error."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.integration.emulator.emulator_support import REFERENCE_NOW, STUDIO_SEED

from dancebot.adapters.crm.impulse.emulator import EmulatorState, SeedError, load_seed


def fresh(state_file: Path) -> EmulatorState:
    return EmulatorState(load_seed(STUDIO_SEED), now=lambda: REFERENCE_NOW, state_file=state_file)


def book(state: EmulatorState, client: int, schedule: int, day: str) -> int:
    booked = state.update("reservation", {"client": client, "schedule": schedule, "date": day})
    return int(booked["id"])


def test_changes_survive_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "emulator-state.json"
    first = fresh(state_file)
    assert not state_file.exists()  # nothing changed yet

    booking = book(first, 510, 100, "2026-03-04")
    first.delete("reservation", 9000)
    newcomer = first.update("client", {"name": "Мария", "phone": "79991234567"})["id"]
    second = fresh(state_file)

    assert second.snapshot() == first.snapshot()
    assert second.load("reservation", booking)["client"]["id"] == 510
    assert second.load("reservation", 9000)["deleted"] is True
    assert second.load("client", newcomer)["phone"] == "79991234567"
    assert book(second, 511, 100, "2026-03-04") == booking + 1
    assert second.free_places(100, date(2026, 3, 4)) == 12 - 4


def test_ids_are_not_reused_after_a_hard_delete(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    first = fresh(state_file)
    hall = first.update("hall", {"name": "Временный зал"})["id"]
    first.delete("hall", hall)

    second = fresh(state_file)

    assert second.update("hall", {"name": "Новый зал"})["id"] == hall + 1


def test_file_is_replaced_atomically_and_is_a_valid_seed(tmp_path: Path) -> None:
    state_file = tmp_path / "nested" / "state.json"
    state = fresh(state_file)

    book(state, 510, 100, "2026-03-04")

    assert [path.name for path in state_file.parent.iterdir()] == ["state.json"]
    document = json.loads(state_file.read_text(encoding="utf-8"))
    assert document["nextId"]["reservation"] == 9105
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(document), encoding="utf-8")
    assert len(load_seed(copy).records["reservation"]) == 105


def test_reset_rewrites_the_file(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    state = fresh(state_file)
    book(state, 510, 100, "2026-03-04")

    state.reset()
    reopened = fresh(state_file)

    assert reopened.snapshot() == EmulatorState(load_seed(STUDIO_SEED)).snapshot()


def test_broken_state_file_is_a_seed_error(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text("{half a document", encoding="utf-8")

    with pytest.raises(SeedError, match=r"state\.json"):
        fresh(state_file)
