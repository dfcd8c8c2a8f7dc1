"""The seeded world and its people: tests.risk_fixtures."""

from tests.risk_fixtures import admin, database_url, signatory  # noqa: F401 (fixtures)
