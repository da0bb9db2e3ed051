"""A throwaway PostgreSQL database (the storage tests' fixture) for the report tests."""

from __future__ import annotations

from tests.integration.storage.conftest import postgres_database_url

__all__ = ["postgres_database_url"]
