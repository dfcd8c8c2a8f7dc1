"""Fixtures for the limits engine tests (no Flask app, no database)."""

from __future__ import annotations

import pytest

from lims.limits.library import LimitIndex, load_shipped_library


@pytest.fixture(scope="session")
def index() -> LimitIndex:
    return load_shipped_library()
