"""The statistics scenario runs on the reference world (rules, limits, methods, network)."""

import pytest


@pytest.fixture
def database_url(seeded_url):
    return seeded_url
