"""Security tests run on the reference world (rules, capabilities) plus the demo markets."""

import datetime as dt
import itertools

import pytest

from tests.samples.conftest import receipt  # noqa: F401 - the receipt builder, shared
from tests.stations.conftest import (  # noqa: F401 - station fixtures, shared
    bl_operator,
    jh_operator,
    markets,
)


@pytest.fixture
def database_url(seeded_url):
    return seeded_url


@pytest.fixture
def record():
    """A rapid test at the Bole wholesale market an hour ago (override fields per test)."""
    counter = itertools.count(1)
    tested = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)

    def build(**changes) -> dict:
        n = next(counter)
        values = {
            "uid": f"SEC-{n:05d}", "market": "BL-M01", "stall": f"A-{n:03d}",
            "vendor": "王记蔬菜", "food_name": "菠菜", "food_category": "蔬菜",
            "test_item": "有机磷和氨基甲酸酯类农药", "method": "enzyme_inhibition",
            "inhibition_pct": "18.5", "station_verdict": "negative",
            "tested_at": (tested + dt.timedelta(seconds=n)).isoformat(),
            "operator": "孙快检", "instrument_serial": "PR-2024-0117", "kit_lot": "K20261101",
        }
        values.update(changes)
        return values

    return build
