"""Station tests run on the reference world (rules, capabilities) plus the demo markets."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.users.roles import Role


@pytest.fixture
def database_url(seeded_url):
    return seeded_url


@pytest.fixture
def markets(app, network):
    from lims.stations.models import Market
    from lims.stations.services import load_demo_markets

    load_demo_markets()
    db.session.commit()
    return {m.code: m for m in db.session.scalars(sa.select(Market))}


@pytest.fixture
def bl_operator(make_user, markets):
    return make_user("sun", org_code="BL-ST01", roles=(Role.STATION_OPERATOR,),
                     display_name="孙快检")


@pytest.fixture
def jh_operator(make_user, markets):
    return make_user("zheng", org_code="JH-ST01", roles=(Role.STATION_OPERATOR,),
                     display_name="郑快检")



@pytest.fixture
def today():
    from lims.instruments.services import local_date

    return local_date()


@pytest.fixture
def morning(today) -> dt.datetime:
    """When this morning's tests were run: 08:00 local, or earlier today when the suite runs
    before 08:30 (a test time is never in the future: the API refuses those)."""
    local = dt.timezone(dt.timedelta(hours=8))
    return max(dt.datetime.combine(today, dt.time(0, 0), tzinfo=local),
               min(dt.datetime.combine(today, dt.time(8, 0), tzinfo=local),
                   dt.datetime.now(local) - dt.timedelta(minutes=30)))


@pytest.fixture
def record(today, morning):
    """A morning's rapid test at the Bole wholesale market (override fields per test)."""
    counter = itertools.count(1)
    tested = morning

    def build(**changes) -> dict:
        n = next(counter)
        values = {
            "uid": f"BL-ST01-{today:%Y%m%d}-{n:05d}", "market": "BL-M01",
            "stall": f"A-{n % 186 + 1:03d}", "vendor": "王记蔬菜", "food_name": "菠菜",
            "food_category": "蔬菜", "test_item": "有机磷和氨基甲酸酯类农药",
            "method": "enzyme_inhibition", "inhibition_pct": "18.5",
            "station_verdict": "negative",
            "tested_at": (tested + dt.timedelta(seconds=n)).isoformat(),
            "operator": "孙快检", "instrument_serial": "PR-2024-0117", "kit_lot": "K20261101",
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}

    return build


@pytest.fixture
def count():
    def rows(model) -> int:
        db.session.expire_all()
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return rows
