"""A limit that is the product's own declared value (产品明示标准和质量要求) is judged in the
worksheet against what receipt recorded for the sample: the same path as `lims limits check`."""

from __future__ import annotations

from lims.extensions import db
from lims.limits.checking import check_result
from lims.limits.services import library_index
from lims.results.entry import judge


def test_the_worksheet_judges_against_the_declared_value(people, network):
    from lims.samples import services as samples
    from lims.samples.declared import parse_declared_lines, set_declaration
    from lims.samples.receipt import ReceiptInput

    vinegar = samples.register_sample(ReceiptInput(
        task_type="supervision", task_source="2026年博州食品安全监督抽检",
        sampling_form_no="NCP20266527000101", business_licence="JY16527010009999",
        business_address="博乐市北京路 3 号", sampler="李抽样、王抽样", sampling_base="40 瓶",
        condition_description="瓶装完好，在保质期内", food_name="山西老陈醋", subcategory="食醋",
        business_name="博乐市某超市", business_county="博乐市", sampled_on="2026-11-20",
        quantity="4", quantity_unit="瓶", condition_ok="yes"), people["receiver"])
    db.session.commit()
    [acid] = [t for t in vinegar.active_tests if t.test_item.name_zh.startswith("不挥发酸")]
    # before the label's value is recorded the verdict cannot be reached
    assert judge(acid, "1.50g/100mL")["verdict"] == "not_judged"
    # the label declares 不挥发酸 ≥ 1.80 g/100mL: 1.50 fails it, 1.95 meets it (by hand)
    set_declaration(vinegar, "GB/T 19777", parse_declared_lines("不挥发酸=≥1.80g/100mL"))
    db.session.commit()
    low, high = judge(acid, "1.50g/100mL"), judge(acid, "1.95g/100mL")
    assert (low["verdict"], high["verdict"]) == ("fail", "pass")
    # one code path: the engine on the same inputs says the same
    engine = check_result(library_index(), acid.test_item.name_zh, ["山西老陈醋", "食醋"],
                          "1.50g/100mL", vinegar.sampled_on, declared="≥1.80g/100mL")
    assert engine.verdict == "fail"
