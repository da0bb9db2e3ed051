"""The ``list`` and ``load`` actions over HTTP: filters, sorting, paging, projection, nested
references and Unix dates (docs/impulse_api.md)."""

from __future__ import annotations

import httpx
import pytest
from tests.integration.emulator.emulator_support import API_PATH, Crm, unix

from dancebot.adapters.crm.impulse.emulator import EmulatorState


async def test_paging_walks_every_rule_once(crm: Crm) -> None:
    pages = [await crm.list("schedule", {"limit": 5, "page": page}) for page in range(1, 7)]

    ids = [item["id"] for page in pages for item in page["items"]]
    assert {page["total"] for page in pages} == {22}
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 22
    assert len(pages[4]["items"]) == 2
    assert pages[5]["items"] == []
    assert [item["id"] for item in pages[1]["items"]] == [112, 120, 121, 122, 130]


async def test_default_limit_and_cap(crm: Crm, state: EmulatorState) -> None:
    for number in range(520):
        state.update("client", {"name": f"Клиент {number}", "phone": f"7900{number:07d}"})

    default = await crm.list("client")
    capped = await crm.list("client", {"limit": 1000})

    assert default["total"] == capped["total"] == 540
    assert len(default["items"]) == 50
    assert len(capped["items"]) == 500


async def test_reference_equality_filter(crm: Crm) -> None:
    plain = await crm.list("schedule", {"columns": {"group": 10}})
    nested = await crm.list("schedule", {"columns": {"group": {"id": 10}}})

    assert sorted(item["id"] for item in plain["items"]) == [100, 101, 102]
    assert nested == plain
    assert {item["group"]["id"] for item in plain["items"]} == {10}


async def test_any_of_filter(crm: Crm) -> None:
    weekend = await crm.list("schedule", {"columns": {"day": [6, 7]}, "limit": 100})

    assert weekend["total"] == 7
    assert {item["day"] for item in weekend["items"]} == {6, 7}


async def test_range_filter_on_dates_inclusive(crm: Crm) -> None:
    late_start = await crm.list(
        "schedule", {"columns": {"dateBegin": {"from": unix("2026-04-04")}}}
    )
    early_end = await crm.list("schedule", {"columns": {"dateEnd": {"to": "2026-05-31"}}})
    march_week = await crm.list(
        "reservation",
        {
            "columns": {
                "schedule": 131,
                "date": {"from": unix("2026-03-02"), "to": unix("2026-03-04")},
            }
        },
    )

    assert [item["id"] for item in late_start["items"]] == [171]
    assert [item["id"] for item in early_end["items"]] == [152]
    assert march_week["total"] == 3
    assert {item["date"] for item in march_week["items"]} == {unix("2026-03-04")}


async def test_filters_are_anded(crm: Crm) -> None:
    found = await crm.list("schedule", {"columns": {"hall": 2, "day": 3}})

    assert sorted(item["id"] for item in found["items"]) == [121, 131]


async def test_sort_desc_and_multiple_keys(crm: Crm) -> None:
    by_start = await crm.list("schedule", {"sort": {"minutesBegin": "desc"}, "limit": 4})
    by_day_then_start = await crm.list(
        "schedule", {"sort": {"day": "asc", "minutesBegin": "desc"}, "limit": 3}
    )

    # Ties keep id order.
    assert [(i["id"], i["minutesBegin"]) for i in by_start["items"]] == [
        (140, 1230),
        (150, 1230),
        (170, 1230),
        (131, 1215),
    ]
    assert [(i["day"], i["minutesBegin"]) for i in by_day_then_start["items"]] == [
        (1, 1230),
        (1, 1140),
        (1, 1140),
    ]


async def test_fields_projection_keeps_id(crm: Crm) -> None:
    found = await crm.list("group", {"fields": ["name", "placeCount"], "columns": {"id": 31}})

    assert found["items"] == [{"id": 31, "name": "High Heels, мини-группа", "placeCount": 3}]


async def test_schedule_renders_nested_references_and_unix_dates(crm: Crm) -> None:
    response = await crm.load("schedule", 100)

    rule = response.json()
    assert response.status_code == 200
    assert rule["group"] == {
        "id": 10,
        "name": "Contemporary, начинающие",
        "style": {"id": 1, "name": "Contemporary"},
        "placeCount": 12,
        "teacher1": {"id": 1, "name": "Анна", "lastName": "Петрова"},
    }
    assert rule["hall"] == {"id": 1, "name": "Большой зал"}
    assert rule["teacher"] == {"id": 1, "name": "Анна", "lastName": "Петрова"}
    assert (rule["day"], rule["minutesBegin"], rule["minutesEnd"]) == (3, 1140, 1230)
    assert rule["dateBegin"] == 1767225600
    assert (rule["deleted"], rule["archived"]) == (False, False)


async def test_reservation_and_group_render_nested(crm: Crm) -> None:
    reservation = (await crm.load("reservation", 9000)).json()
    group = (await crm.load("group", 50)).json()

    assert reservation["client"] == {
        "id": 500,
        "name": "Ирина",
        "lastName": "Смирнова",
        "phone": "79990010501",
    }
    assert reservation["schedule"]["id"] == 100
    assert reservation["schedule"]["group"]["placeCount"] == 12
    assert reservation["date"] == unix("2026-03-04")
    assert group["style"] == {"id": 5, "name": "Jazz-Funk"}
    assert group["teacher1"]["lastName"] == "Соколова"


async def test_find_client_by_phone(crm: Crm) -> None:
    found = await crm.list("client", {"columns": {"phone": "79990010503"}})
    missing = await crm.list("client", {"columns": {"phone": "79991234567"}})

    assert [item["id"] for item in found["items"]] == [502]
    assert missing == {"total": 0, "items": []}


@pytest.mark.parametrize(
    "body",
    [
        {"columns": {"colour": "red"}},
        {"sort": {"colour": "asc"}},
        {"sort": {"name": "up"}},
        {"limit": 0},
        {"page": "2"},
        {"fields": "name"},
        {"columns": {"dateBegin": {"from": "soon"}}},
    ],
)
async def test_bad_list_body_is_a_validation_error(crm: Crm, body: dict[str, object]) -> None:
    response = await crm.call("schedule", "list", body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation"


async def test_malformed_json_is_a_validation_error(http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"{API_PATH}/client/list",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "validation"


async def test_load_unknown_and_malformed_ids(crm: Crm) -> None:
    unknown = await crm.load("client", 4040)
    malformed = await crm.load("client", "abc")

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (400, "validation")
