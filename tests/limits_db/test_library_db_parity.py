"""The database library answers as the shipped one (placements, positive list, groups), and
loading keeps every row of a standard whose rows come from several files."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa

from lims.extensions import db
from lims.limits.checking import check_result
from lims.limits.library import limit_files, load_shipped_library
from lims.limits.loading import DATA_DIR
from lims.limits.lookup import lookup_item
from lims.limits.models import LimitRowRecord
from lims.limits.rows_io import read_table
from lims.limits.services import library_index, load_shipped_limits

DAY = dt.date(2026, 10, 1)


def _shipped_counts() -> Counter:
    from importlib import resources

    counts: Counter = Counter()
    with resources.as_file(resources.files("lims.limits").joinpath(DATA_DIR)) as base:
        for path in limit_files(base):
            counts.update(r["standard"] for r in read_table(path))
    return counts


def test_database_library_holds_every_file_and_answers_like_the_shipped_one(app):
    load_shipped_limits()
    db.session.commit()
    stored = Counter(db.session.scalars(sa.select(LimitRowRecord.standard)))
    assert stored == _shipped_counts()
    shipped, stored_index = load_shipped_library(), library_index()
    assert stored_index is not shipped
    assert stored_index.graph.placements.keys() == shipped.graph.placements.keys()
    assert stored_index.additives.keys() == shipped.additives.keys()
    # a sample of rules items, each with its 细类 then 大类 as the food
    from lims.limits.coverage import rules_queries

    for query in rules_queries()[::37]:
        a = lookup_item(shipped, query.item, query.foods, DAY).to_json()
        b = lookup_item(stored_index, query.item, query.foods, DAY).to_json()
        assert a == b, query
    one = check_result(stored_index, "铅(以Pb计)", ["菠菜"], "0.1mg/kg", DAY)
    two = check_result(shipped, "铅(以Pb计)", ["菠菜"], "0.1mg/kg", DAY)
    assert (one.verdict, one.verified) == (two.verdict, two.verified)
