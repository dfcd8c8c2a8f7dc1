"""Result entry on the bench: capture, computation, rounding, judgement, 未检出, changes."""

from __future__ import annotations

import json
from decimal import Decimal, localcontext

import pytest
import sqlalchemy as sa

from lims.audit.models import AuditEntry
from lims.extensions import db
from lims.methods.formula import PRECISION
from lims.methods.loader import load_methods
from lims.results import services
from lims.results.models import ResultChange, ResultStatus, TestResult
from lims.samples.lifecycle import SampleStatus

from .conftest import CADMIUM, LEAD


def test_bench_sees_the_tests_assigned_to_its_lab(people, sample, tests_of):
    mine = services.assigned_tests(people["tech"])
    assert {t.test_item.analyte_key for t in mine} == {"铅", "镉"}
    assert all(t.sample_id == sample.id for t in mine)
    # the county lab's tests are on the other sub-sample, not yet received there
    assert services.assigned_tests(people["county_tech"]) == []


def test_weight_captured_from_the_balance_and_result_computed(people, tests_of, weigh):
    reading_id = weigh("0.5012")
    result = services.enter_result(tests_of["铅"], people["tech"], {
        "rho": "12.5", "rho0": "0.5", "V": "10", "m": {"value": "", "reading_id": reading_id}})
    services.commit()
    inputs = json.loads(result.inputs_json)
    assert inputs["m"] == {"value": "0.5012", "unit": "g", "reading_id": reading_id}
    assert result.reading_id == reading_id
    assert result.reading.raw == b"S S     0.5012 g\r\n"  # the frame the balance sent
    # the method file's formula by hand: (rho - rho0) * V / (m * 1000)
    formula = load_methods()[result.method_key].formula.source
    assert formula == "(rho - rho0) * V / (m * 1000)"
    with localcontext() as ctx:
        ctx.prec = PRECISION  # the evaluator's exact-decimal precision
        expected = (Decimal("12.5") - Decimal("0.5")) * Decimal("10") / (Decimal("0.5012") * 1000)
    assert result.value == expected and str(expected).startswith("0.23942537909")
    assert result.reported_value == "0.24" and result.unit == "mg/kg"  # two significant digits
    assert result.verdict == "pass" and "≤0.3" in result.limit_text
    assert result.limit_standard.startswith("GB 2762")
    assert result.tested_by_id == people["tech"].id and result.status == ResultStatus.DRAFT
    assert tests_of["铅"].sample.status == SampleStatus.IN_TESTING


def test_typed_value_must_agree_with_the_reading(people, tests_of, stored_reading):
    reading_id = stored_reading("0.5012")
    with pytest.raises(services.ResultError, match="不一致") as caught:
        services.enter_result(tests_of["铅"], people["tech"],
                              {**LEAD, "m": {"value": "0.6000", "reading_id": reading_id}})
    assert caught.value.field == "m"
    unstable = stored_reading("0.5100", stable=False)
    with pytest.raises(services.ResultError, match="不稳定"):
        services.enter_result(tests_of["铅"], people["tech"],
                              {**LEAD, "m": {"value": "", "reading_id": unstable}})
    assert db.session.scalar(sa.select(sa.func.count(TestResult.id))) == 0


def test_rounding_half_to_even(people, tests_of):
    # (6.75 - 0.5) * 10 / (0.5000 * 1000) = 0.125 exactly -> two significant digits, GB/T 8170
    result = services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "rho": "6.75"})
    assert result.value == Decimal("0.125") and result.reported_value == "0.12"


def test_failing_result_is_flagged(people, tests_of):
    # (20.5 - 0.5) * 10 / 500 = 0.40 mg/kg against ≤0.3 mg/kg (GB 2762) for spinach
    result = services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "rho": "20.5"})
    assert result.reported_value == "0.40" and result.verdict == "fail"
    assert "不符合" in result.verdict_reason and "0.3" in result.verdict_reason


def test_below_the_detection_limit_is_reported_not_detected(people, tests_of):
    # (0.9 - 0.5) * 10 / 500 = 0.008 mg/kg < LOD 0.02 mg/kg
    result = services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "rho": "0.9"})
    assert result.value == Decimal("0.008")
    assert result.reported_value == "未检出" and not result.detected
    assert result.lod == Decimal("0.02")
    assert result.verdict == "pass" and "检出限 0.02" in result.verdict_reason


def test_bad_input_names_the_field_and_writes_nothing(people, tests_of):
    with pytest.raises(services.ResultError) as caught:
        services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "V": "十"})
    assert caught.value.field == "V" and "不是有效数值" in caught.value.message
    with pytest.raises(services.ResultError) as caught:
        services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "m": "99"})
    assert caught.value.field == "m" and "上限" in caught.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(TestResult.id))) == 0


def test_changing_a_saved_result_needs_a_reason_and_keeps_the_old_value(people, tests_of,
                                                                          entered):
    result = entered()["铅"]
    with pytest.raises(services.ResultError, match="必须填写原因") as caught:
        services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "rho": "13.5"},
                              expected_version=result.version)
    assert caught.value.field == "reason"
    db.session.rollback()
    services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "rho": "13.5"},
                          expected_version=result.version, reason="稀释倍数抄错，重新读数")
    services.commit()
    assert result.reported_value == "0.26"
    change = db.session.scalar(sa.select(ResultChange).where(ResultChange.result_id == result.id))
    assert change.reason == "稀释倍数抄错，重新读数"
    assert json.loads(change.old_json)["reported_value"] == "0.24"
    assert json.loads(change.new_json)["reported_value"] == "0.26"
    audit = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.table_name == "test_result", AuditEntry.field == "reported_value"))
    assert (audit.old_value, audit.new_value, audit.reason) == ("0.24", "0.26",
                                                                "稀释倍数抄错，重新读数")


def test_a_stale_save_is_refused_with_the_other_change_shown(people, tests_of, entered):
    result = entered()["铅"]
    seen = result.version  # both technicians opened the entry page at this version
    services.enter_result(tests_of["铅"], people["tech2"], {**LEAD, "V": "20"},
                          expected_version=seen, reason="定容体积为 20 mL")
    services.commit()
    with pytest.raises(services.StaleResult) as caught:
        services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "rho": "14.5"},
                              expected_version=seen, reason="重测")
    db.session.rollback()
    assert caught.value.status == 409
    assert "马检验" in caught.value.message and "0.48" in caught.value.message
    db.session.refresh(result)
    assert result.reported_value == "0.48" and result.tested_by_id == people["tech2"].id


def test_concurrent_write_loses_nothing(app, people, tests_of, entered):
    """Two sessions load the same version; the second flush is refused (version column)."""
    from sqlalchemy.orm import Session

    result = entered()["铅"]
    other = Session(db.engine)
    try:
        theirs = other.get(TestResult, result.id)
        mine = db.session.get(TestResult, result.id)
        theirs.reported_value = "0.99"
        other.commit()
        mine.reported_value = "0.11"
        with pytest.raises(services.StaleResult):
            services.flush_or_stale(mine)
    finally:
        other.close()
    assert db.session.get(TestResult, result.id).reported_value == "0.99"


def test_other_lab_and_missing_role(people, tests_of):
    with pytest.raises(services.ResultNotFound):
        services.enter_result(tests_of["铅"], people["county_tech"], LEAD)
    with pytest.raises(services.ResultForbidden):
        services.enter_result(tests_of["铅"], people["reviewer"], LEAD)


def test_worksheet_groups_the_tests(people, tests_of):
    sheet = services.create_worksheet(people["tech"], [t.id for t in tests_of.values()])
    services.commit()
    assert sheet.number.startswith("WS-BZ-LAB-") and len(sheet.results) == 2
    assert {r.status for r in sheet.results} == {ResultStatus.DRAFT}
    assert services.assigned_tests(people["tech"], open_only=True)  # still to be entered
    again = services.create_worksheet
    with pytest.raises(services.ResultError, match="已在工作单"):
        again(people["tech"], [tests_of["铅"].id])
    result = next(r for r in sheet.results if r.sample_test_id == tests_of["镉"].id)
    services.enter_result(tests_of["镉"], people["tech"], CADMIUM, expected_version=result.version)
    assert result.reported_value == "0.12" and result.verdict == "pass"


def test_method_comes_from_the_test_plan_or_is_refused_by_name(sample, tests_of):
    assert services.method_for(tests_of["铅"]).code == "GB5009.12-2023-GFAAS"
    county_part = next(p for p in sample.parent.children if p.id != sample.id)
    chromium = next(t for t in county_part.tests if t.test_item.analyte_key == "铬")
    assert services.method_for(chromium).code == "GB5009.123-2023-GFAAS"
    # a method standard with no method file, and no other standard in the rules: refused
    chromium.method_standard, chromium.test_item.method_standards = "GB 5009.999", ""
    with pytest.raises(services.ResultError, match="GB 5009.999 没有方法文件"):
        services.method_for(chromium)
    db.session.rollback()
    # the county lab declares pesticides by GB 23200.113, which does not measure 阿维菌素:
    # refused, never computed silently by another standard (GB 23200.121) than the one shown
    abamectin = next(t for t in county_part.tests if t.test_item.analyte_key == "阿维菌素")
    assert abamectin.method_standard == "GB 23200.19"
    with pytest.raises(services.ResultError, match="GB 23200.113 不测定“阿维菌素”"):
        services.method_for(abamectin)
    with pytest.raises(services.ResultError, match="不测定"):
        services.method_for(tests_of["铅"], "GB23200.121-2021-LCMSMS")
