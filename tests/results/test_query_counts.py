"""The pages and APIs the bench and the browsers use most issue a fixed handful of queries,
however many tests and samples the lab holds (the load test found one query per row).

Each request is counted on a session of its own, as in production: nothing is served from
the identity map of the test's session.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event
from werkzeug.test import TestResponse

from lims.extensions import db
from lims.results import services
from lims.samples import services as samples
from lims.samples.receipt import ReceiptInput
from lims.users.services import issue_token
from tests.conftest import PASSWORD

from .conftest import CADMIUM, LEAD

# Measured: 8 (assigned), 15 (sample page), 8 (bench), 4 (instruments); a little room for a new
# constant query, none for one per row (a sample here has a dozen tests). The assigned list
# also finds each test's declared capability (1 query) and the 细类's category path (3).
ASSIGNED_MAX = 14
SAMPLE_PAGE_MAX = 18
BENCH_PAGE_MAX = 10
INSTRUMENTS_MAX = 6


@pytest.fixture
def counted():
    """``counted(client.get, url, …)``: the answer and the SQL statements the request sent.

    The request runs in a thread of its own, so it gets a new app context and a new session
    as in a worker; it loads everything it shows instead of finding the test's objects in
    the test's session.
    """
    def run(call: Callable[..., TestResponse], *args, **kwargs
            ) -> tuple[TestResponse, list[str]]:
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            with ThreadPoolExecutor(max_workers=1) as worker:
                response = worker.submit(call, *args, **kwargs).result()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return response, seen

    return run


@pytest.fixture
def more_samples(people, network):
    """``n`` more spinach samples, every test routed to the prefecture lab and received there
    (a dozen tests each), with lead and cadmium entered and lead signed by the technician."""

    def make(n: int) -> list[str]:
        numbers = []
        for i in range(n):
            sample = samples.register_sample(ReceiptInput(
                task_type="supervision", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", business_licence="JY16527010001234", business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", food_name="菠菜", subcategory="菠菜",
                business_name=f"博乐市农贸市场 {i + 20} 号摊位", business_county="博乐市",
                sampled_on="2026-11-20", quantity="2", quantity_unit="kg", condition_ok="yes",
                condition_notes=""), people["receiver"])
            db.session.commit()
            samples.route_sample(sample, {t.id: network["BZ-LAB"].id
                                          for t in sample.active_tests}, people["receiver"])
            samples.receive_at_lab(sample, people["receiver"], condition="完好")
            db.session.commit()
            by_key = {t.test_item.analyte_key: t for t in sample.active_tests}
            lead = services.enter_result(by_key["铅"], people["tech"], LEAD)
            services.enter_result(by_key["镉"], people["tech"], CADMIUM)
            services.commit()
            services.sign(lead, people["tech"], "submitted", PASSWORD,
                          expected_version=lead.version)
            services.commit()
            numbers.append(sample.number)
        return numbers

    return make


def _bearer(user) -> dict:
    token = issue_token(user).token
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_assigned_tests_api_takes_the_same_few_queries_for_2_or_38_tests(
        client, people, sample, entered, more_samples, counted):
    lead = entered()["铅"]
    services.sign(lead, people["tech"], "submitted", PASSWORD, expected_version=lead.version)
    services.commit()
    tech = _bearer(people["tech"])
    small, few = counted(client.get, "/api/v1/results/assigned", headers=tech)
    assert small.status_code == 200 and len(small.json["tests"]) == 2
    numbers = more_samples(3)
    large, many = counted(client.get, "/api/v1/results/assigned", headers=tech)
    tests = large.json["tests"]
    assert len(tests) > 30 and large.json["next"] is None
    signed = [t for t in tests if t["result"] and t["result"]["signatures"]]
    assert {t["sample"] for t in signed} == {sample.number, *numbers}
    assert all(t["result"]["signatures"][0]["user"] == "wang" for t in signed)
    assert len(many) == len(few) <= ASSIGNED_MAX, many


def test_assigned_tests_come_in_keyset_pages(client, people, sample, entered, more_samples,
                                             counted):
    entered()
    more_samples(2)
    tech = _bearer(people["tech"])
    everything = client.get("/api/v1/results/assigned", headers=tech).json["tests"]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 7, **({"after": cursor} if cursor else {})}
        page, statements = counted(client.get, "/api/v1/results/assigned", headers=tech,
                                   query_string=params)
        assert page.status_code == 200 and len(statements) <= ASSIGNED_MAX
        assert len(page.json["tests"]) <= 7
        seen += page.json["tests"]
        pages += 1
        cursor = page.json["next"]
        if cursor is None:
            break
    assert pages == -(-len(everything) // 7)  # no empty last page
    assert [t["test_id"] for t in seen] == [t["test_id"] for t in everything]
    for bad in ({"after": "not-a-cursor"}, {"after": "WzEsMiwzXQ"}, {"limit": 0},
                {"limit": 201}, {"limit": "ten"}, {"limit": "²"}, {"limit": "9" * 5000}):
        refused = client.get("/api/v1/results/assigned", headers=tech, query_string=bad)
        assert refused.status_code == 422, bad
        assert set(refused.json["details"]) == set(bad), refused.json


def test_sample_page_takes_the_same_few_queries_whatever_its_tests(
        client, login, people, sample, entered, more_samples, counted):
    entered()
    small, parent = sample.number, sample.parent.number
    (whole,) = more_samples(1)  # a dozen tests on one sample, two with results
    login("wang")
    counts = {}
    for number in (small, parent, whole):
        page, statements = counted(client.get, f"/samples/{number}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and 'id="results"' in html
        counts[number] = len(statements)
    assert html.count("<tr") > 12  # the whole sample's tests and results are on the page
    assert max(counts.values()) <= SAMPLE_PAGE_MAX, counts


def test_bench_and_instrument_lists_do_not_query_per_row(client, login, people, sample,
                                                         more_samples, counted):
    more_samples(2)
    login("wang")
    page, bench = counted(client.get, "/results/")
    assert page.status_code == 200 and page.get_data(as_text=True).count('name="test"') > 20
    assert len(bench) <= BENCH_PAGE_MAX, len(bench)
    page, instruments = counted(client.get, "/instruments/")
    assert page.status_code == 200 and "BZ-BAL-01" in page.get_data(as_text=True)
    assert len(instruments) <= INSTRUMENTS_MAX, len(instruments)


def test_rules_tree_is_built_once_and_rebuilt_when_the_rules_change(client, login, people,
                                                                     counted):
    import sqlalchemy as sa

    from lims.foods.models import FoodCategoryNode

    spinach = db.session.scalar(sa.select(FoodCategoryNode).where(
        FoodCategoryNode.code == "34-6", FoodCategoryNode.level == 4))
    login("wang")
    first, built = counted(client.get, "/foods/")
    again, cached = counted(client.get, "/foods/")
    html = again.get_data(as_text=True)
    assert f"34-6 {spinach.name_zh}</a>" in html and html.count("<li>") > 300
    assert again.get_data(as_text=True).count("<li>") == first.get_data(as_text=True).count(
        "<li>")
    assert not any("FROM food_category" in s and "count(" not in s for s in cached)
    assert any("FROM food_category" in s and "count(" not in s for s in built)
    spinach.name_zh = "菠菜（新版细则）"  # a re-import renames a node
    db.session.commit()
    assert "34-6 菠菜（新版细则）</a>" in client.get("/foods/").get_data(as_text=True)
