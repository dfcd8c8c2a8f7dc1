"""Receipt: the test plan from the rules table, numbers, and bad input refused whole."""

import sqlalchemy as sa

from lims.audit.models import AuditEntry
from lims.extensions import db
from lims.foods import services as foods
from lims.samples.models import Sample, SampleTest
from lims.samples.receipt import ReceiptError
from lims.samples.services import register_sample


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_receipt_proposes_the_rules_table_of_the_subcategory(receiver, receipt):
    sample = register_sample(receipt(), receiver)
    db.session.commit()
    table = foods.items_for(foods.find_subcategory("34-6"))
    assert sample.subcategory.code == "34-6"
    assert [t.test_item.code for t in sample.tests] == [i.code for i in table]
    assert all(t.from_rules and not t.removed for t in sample.tests)
    assert sample.tests[0].basis_standard and sample.number.startswith("BZ-LAB-")
    assert sample.number.endswith("-000001")
    assert sample.holder_org.code == "BZ-LAB" and sample.status.value == "registered"


def test_numbers_follow_the_pattern_and_increase(receiver, receipt, app):
    first = register_sample(receipt(), receiver)
    second = register_sample(receipt(food_name="菠菜（第二份）"), receiver)
    db.session.commit()
    year = first.received_at.astimezone().year
    assert first.number == f"BZ-LAB-{year}-000001"
    assert second.number == f"BZ-LAB-{year}-000002"


def test_configurable_number_pattern(receiver, receipt, app):
    app.config["SAMPLE_NUMBER_PATTERN"] = "YP{yy}{mm}-{lab}-{seq:04d}"
    sample = register_sample(receipt(), receiver)
    assert sample.number.startswith("YP") and sample.number.endswith("-BZ-LAB-0001")


def test_removing_an_item_needs_a_reason_and_adding_is_recorded(receiver, receipt):
    table = foods.items_for(foods.find_subcategory("34-6"))
    extra = foods.items_for(foods.find_subcategory("1-2"))[0]  # an item of rice
    try:
        register_sample(receipt(removed_items={table[0].code: ""}), receiver)
        raise AssertionError("removal without a reason was accepted")
    except ReceiptError as exc:
        assert f"removed_items.{table[0].code}" in exc.errors
    sample = register_sample(receipt(removed_items={table[0].code: "委托方不要求"},
                                     added_items={extra.code: "委托方加测"}), receiver)
    db.session.commit()
    removed = [t for t in sample.tests if t.removed]
    added = [t for t in sample.tests if not t.from_rules]
    assert [t.removed_reason for t in removed] == ["委托方不要求"]
    assert [t.test_item.code for t in added] == [extra.code]


def _refused(receiver, data) -> dict:
    samples, tests = _count(Sample), _count(SampleTest)
    audit = _count(AuditEntry)
    try:
        register_sample(data, receiver)
    except ReceiptError as exc:
        db.session.rollback()
        assert (_count(Sample), _count(SampleTest), _count(AuditEntry)) == (samples, tests, audit)
        return exc.errors
    raise AssertionError("bad receipt accepted")


def test_unknown_subcategory(receiver, receipt):
    errors = _refused(receiver, receipt(subcategory="不存在的细类"))
    assert "未知的食品细类" in errors["subcategory"]


def test_missing_condition_on_receipt(receiver, receipt):
    errors = _refused(receiver, receipt(condition_ok=None))
    assert "状态" in errors["condition_ok"]


def test_deviation_needs_a_description(receiver, receipt):
    errors = _refused(receiver, receipt(condition_ok="no", condition_notes=""))
    assert "偏离" in errors["condition_notes"]


def test_future_sampling_date(receiver, receipt):
    errors = _refused(receiver, receipt(sampled_on="2099-01-01"))
    assert "不能晚于今天" in errors["sampled_on"]


def test_quantity_without_unit(receiver, receipt):
    errors = _refused(receiver, receipt(quantity_unit=""))
    assert "单位" in errors["quantity_unit"]


def test_non_numeric_quantity_and_unknown_county(receiver, receipt):
    errors = _refused(receiver, receipt(quantity="两公斤", business_county="乌鲁木齐市"))
    assert "数值" in errors["quantity"]
    assert "县市" in errors["business_county"]


def test_deviation_is_kept_for_the_report(receiver, receipt):
    sample = register_sample(receipt(condition_ok="no", condition_notes="外包装破损，冷藏不足"),
                             receiver)
    db.session.commit()
    assert sample.condition_ok is False
    assert sample.condition_notes == "外包装破损，冷藏不足"
    assert "偏离" in sample.events[0].summary
