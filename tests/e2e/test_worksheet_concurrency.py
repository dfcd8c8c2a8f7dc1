"""Two technicians of the prefecture lab fill the same worksheet at the same time.

Both open the worksheet; the first saves the cadmium result; the second, whose page still
holds the old version, saves other figures and is refused, with the first one's stored value
shown in the error.  The database keeps the first entry: no update is lost.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from lims.core.demo import DEMO_PASSWORD
from tests.e2e import steps
from tests.e2e.conftest import run_in_e2e_app

CADMIUM = "镉(以Cd计)"


def _second_technician_and_a_received_part(database_url: str, instance: Path) -> str:
    """Another BZ-LAB technician (the demo has one per lab), and a spinach part with lead and
    cadmium received at the prefecture lab; returns the part's number."""

    def work() -> str:
        from lims.extensions import db
        from lims.orgs.services import org_by_code
        from lims.samples import services as samples
        from lims.samples.receipt import ReceiptInput
        from lims.users.models import User
        from lims.users.roles import Role
        from lims.users.services import create_user

        bz, bl = org_by_code("BZ-LAB"), org_by_code("BL-LAB")
        if db.session.scalar(sa.select(User.id).where(User.username == "tech2")) is None:
            create_user("tech2", org=bz, roles=[Role.TECHNICIAN], password=DEMO_PASSWORD,
                        display_name="钱检验")
        receiver = db.session.scalar(sa.select(User).where(User.username == "receiver"))
        parent = samples.register_sample(ReceiptInput(
            task_type="supervision", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", business_licence="JY16527010001234", business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", food_name="菠菜", subcategory="菠菜",
            business_name="博乐市农贸市场 5 号摊位", business_county="博乐市",
            sampled_on="2026-11-22", quantity="2", quantity_unit="kg", condition_ok="yes",
            condition_notes=""), receiver)
        parts = samples.route_sample(parent, {
            t.id: (bz if t.test_item.analyte_key in ("铅", "镉") else bl).id
            for t in parent.active_tests}, receiver)
        own = next(p for p in parts if p.assigned_org_id == bz.id)
        samples.receive_at_lab(own, receiver, condition="完好")
        db.session.commit()
        return own.number

    return run_in_e2e_app(database_url, instance, work)


def _stored(database_url: str, instance: Path, number: str) -> dict:
    def work() -> dict:
        from lims.extensions import db
        from lims.results.models import TestResult
        from lims.samples.models import Sample, SampleTest

        result = db.session.scalar(
            sa.select(TestResult).join(SampleTest).join(Sample)
            .where(Sample.number == number, TestResult.reported_value.is_not(None))
            .where(SampleTest.test_item.has(name_zh=CADMIUM)))
        return {"value": result.reported_value, "version": result.version,
                "by": result.tested_by.username,
                "inputs": {k: v["value"] for k, v in json.loads(result.inputs_json).items()}}

    return run_in_e2e_app(database_url, instance, work)


def test_the_second_save_of_a_worksheet_is_refused_and_the_first_is_kept(
        lab, e2e_database, tmp_path):
    number = _second_technician_and_a_received_part(e2e_database, tmp_path)
    first = lab.person("tech")
    sheet = steps.create_worksheet(first, number, "镉 两人同时录入")
    second = lab.person("tech2")
    second.goto(f"/results/worksheets/{sheet}")
    assert steps.result_card(second, CADMIUM).is_visible()

    # both have the worksheet open; the first saves
    assert steps.enter_results(first, CADMIUM, {"c1": "2.5", "c0": "0.1", "V": "25",
                                                "m": "0.5000"}) == ("pass", "pass")
    stored = _stored(e2e_database, tmp_path, number)
    assert stored["by"] == "tech" and stored["value"] == "0.12" and stored["version"] == 2

    # the second, on the page loaded before that save, saves other figures
    steps.type_inputs(second, CADMIUM, {"c1": "3.9", "c0": "0.1", "V": "25", "m": "0.5100"})
    with second.expect_navigation():
        steps.result_card(second, CADMIUM).locator("form.entry button[type=submit]").click()
    error = steps.result_card(second, CADMIUM).locator(".flash-error")
    assert error.count() == 1
    text = error.inner_text()
    assert "已被他人修改" in text and "0.12" in text and "王检验" in text, text
    # what the second typed is still on the form, to compare and re-enter if right
    assert steps.result_card(second, CADMIUM).locator("input[name=in_c1]").input_value() == "3.9"
    steps.shot(second, "19-worksheet-concurrent-save-refused")

    # no lost update: the first entry stands, unchanged
    assert _stored(e2e_database, tmp_path, number) == stored
    assert stored["inputs"] == {"c1": "2.5", "c0": "0.1", "V": "25", "m": "0.5000"}
