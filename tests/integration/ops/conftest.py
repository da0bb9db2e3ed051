"""Fixtures of the operations tests: a throwaway PostgreSQL database (the storage tests' own)."""

from __future__ import annotations

from tests.integration.storage.conftest import postgres_database_url

__all__ = ["postgres_database_url"]
