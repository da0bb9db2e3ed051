"""Shared helpers of the Impulse emulator tests (imported by the test modules and conftest)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[3]
STUDIO_SEED = REPO / "seeds" / "studio_tatyana.yaml"
DESIGN_SEED = REPO / "tests" / "fixtures" / "seeds" / "design_example.yaml"
API_KEY = "emulator-test-key"
API_PATH = "/api/public"
# Before the reference weeks (2026-03-02..15): every seeded lesson there is still bookable.
REFERENCE_NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def basic(token_source: str) -> str:
    return "Basic " + base64.b64encode(token_source.encode()).decode()


def unix(day: str) -> int:
    """``"2026-03-04"`` → Unix seconds at UTC midnight."""
    return int(datetime.combine(date.fromisoformat(day), time(), tzinfo=UTC).timestamp())


class Crm:
    """Speaks the emulator's API like a client would: one method per action."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def call(self, entity: str, action: str, body: Any = None) -> httpx.Response:
        return await self.http.post(f"{API_PATH}/{entity}/{action}", json=body or {})

    async def list(self, entity: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.call(entity, "list", body)
        assert response.status_code == 200, response.text
        return response.json()

    async def load(self, entity: str, record_id: int | str) -> httpx.Response:
        return await self.http.get(f"{API_PATH}/{entity}/load", params={"id": record_id})

    async def update(self, entity: str, body: dict[str, Any]) -> httpx.Response:
        return await self.call(entity, "update", body)

    async def delete(self, entity: str, record_id: int) -> httpx.Response:
        return await self.call(entity, "delete", {"id": record_id})

    async def book(self, client: int, schedule: int, day: str) -> httpx.Response:
        return await self.update(
            "reservation", {"client": client, "schedule": schedule, "date": unix(day)}
        )
