"""Issue 14: a test is computed by the lab's declared method; the technician switches to
another method the lab declares and the rules allow, with a reason kept."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lims.audit.models import AuditEntry
from lims.extensions import db
from lims.results import services
from lims.results.models import ResultChange, ResultStatus

from .conftest import LEAD


def test_the_declared_capability_gives_the_method(people, tests_of):
    lead = tests_of["铅"]
    capability = services.capability_for(lead, services.method_for(lead))
    # BZ-LAB declares lead by GB 5009.12; its first method (第一法, GFAAS) is the default
    assert capability.org.code == "BZ-LAB" and capability.method_standard.startswith(
        "GB 5009.12")
    result = services.enter_result(lead, people["tech"], LEAD)
    assert result.method_key == "GB5009.12-2023-GFAAS"
    assert result.method_standard == "GB 5009.12-2023 第一法"
    assert result.capability_id == capability.id and result.method_reason is None
    # the other method of the declared standard is a choice; a standard not declared is not
    codes = [c.method.code for c in services.method_choices(lead)]
    assert codes[0] == "GB5009.12-2023-GFAAS" and "GB5009.12-2023-ICPMS" in codes
    assert "GB5009.268-2016-ICPMS" not in codes


def test_switching_method_needs_a_reason_and_an_allowed_method(people, tests_of):
    lead = tests_of["铅"]
    result = services.enter_result(lead, people["tech"], LEAD)
    services.commit()
    with pytest.raises(services.ResultError, match="必须填写原因") as caught:
        services.switch_method(lead, people["tech"], "GB5009.12-2023-ICPMS", " ",
                               expected_version=result.version)
    assert caught.value.field == "reason"
    with pytest.raises(services.ResultError, match="不是本实验室声明且细则允许") as caught:
        services.switch_method(lead, people["tech"], "GB5009.268-2016-ICPMS", "仪器故障",
                               expected_version=result.version)
    assert caught.value.field == "method"
    db.session.rollback()
    assert db.session.get(type(result), result.id).method_key == "GB5009.12-2023-GFAAS"


def test_switched_method_is_used_kept_and_audited(people, tests_of):
    lead = tests_of["铅"]
    result = services.enter_result(lead, people["tech"], LEAD)
    services.sign(result, people["tech"], "submitted", _password(),
                  expected_version=result.version)
    services.commit()
    assert result.status == ResultStatus.SUBMITTED
    services.switch_method(lead, people["tech"], "GB5009.12-2023-ICPMS", "石墨炉故障，改用ICP-MS",
                           expected_version=result.version)
    services.commit()
    assert (result.method_key, result.method_standard) == ("GB5009.12-2023-ICPMS",
                                                           "GB 5009.12-2023 第二法")
    assert result.method_reason == "石墨炉故障，改用ICP-MS"
    # nothing computed by the former method stays, nor its signature
    assert result.value is None and result.status == ResultStatus.DRAFT
    assert services.valid_signatures(result) == {}
    change = db.session.scalar(sa.select(ResultChange).where(ResultChange.kind == "method"))
    assert change.reason == "石墨炉故障，改用ICP-MS"
    assert json.loads(change.old_json)["method"] == "GB5009.12-2023-GFAAS"
    audit = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.table_name == "test_result", AuditEntry.field == "method_key"))
    assert (audit.old_value, audit.new_value, audit.reason) == (
        "GB5009.12-2023-GFAAS", "GB5009.12-2023-ICPMS", "石墨炉故障，改用ICP-MS")
    # computed by ICP-MS now: (ρ - ρ0) × V × f / (m × 1000) = (15.5 - 0.5) × 50 × 1 / 500
    # = 1.5 mg/kg (three significant digits at ≥1.00: 1.50), against ≤0.3: 不符合
    entered = services.enter_result(lead, people["tech"], {
        "rho": "15.5", "rho0": "0.5", "V": "50", "m": "0.5000"},
        expected_version=result.version)
    assert entered.method_key == "GB5009.12-2023-ICPMS"
    assert entered.value == Decimal("1.5") and entered.reported_value == "1.50"
    assert entered.verdict == "fail" and entered.method_reason == "石墨炉故障，改用ICP-MS"


def test_switch_through_the_api(client, people, tests_of):
    from lims.users.services import issue_token

    token = issue_token(people["tech"], name="t").token
    lead = tests_of["铅"]
    result = services.enter_result(lead, people["tech"], LEAD)
    services.commit()
    headers = {"Authorization": f"Bearer {token}"}
    refused = client.post(f"/api/v1/results/tests/{lead.id}/method", headers=headers,
                          json={"method": "GB5009.12-2023-ICPMS", "reason": "",
                                "version": result.version})
    assert refused.status_code == 422
    done = client.post(f"/api/v1/results/tests/{lead.id}/method", headers=headers,
                       json={"method": "GB5009.12-2023-ICPMS", "reason": "仪器故障",
                             "version": result.version})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["method"] == "GB5009.12-2023-ICPMS" and body["method_reason"] == "仪器故障"
    assert body["method_standard"] == "GB 5009.12-2023 第二法"


def _password() -> str:
    from tests.conftest import PASSWORD

    return PASSWORD


@pytest.fixture
def all_at_prefecture(people, network):
    """A spinach sample whose every test is routed to and received at BZ-LAB."""
    from lims.samples import services as samples
    from lims.samples.receipt import ReceiptInput

    receiver = people["receiver"]
    parent = samples.register_sample(ReceiptInput(
        task_type="supervision", task_source="2026年博州食品安全监督抽检",
        sampling_form_no="NCP20266527000002", business_licence="JY16527010001234",
        business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg",
        condition_description="新鲜，装于洁净聚乙烯袋", food_name="菠菜", subcategory="菠菜",
        business_name="博乐市农贸市场 3 号摊位", business_county="博乐市",
        sampled_on="2026-11-20", quantity="2", quantity_unit="kg", condition_ok="yes",
        condition_notes=""), receiver)
    db.session.commit()
    parts = samples.route_sample(parent, {t.id: network["BZ-LAB"].id
                                          for t in parent.active_tests}, receiver)
    own = parts[0] if parts else parent
    samples.receive_at_lab(own, receiver, condition="完好")
    db.session.commit()
    return {t.test_item.analyte_key: t for t in own.active_tests}


def test_abamectin_is_computed_by_the_declared_method_or_a_switched_one(people,
                                                                        all_at_prefecture):
    abamectin = all_at_prefecture["阿维菌素"]
    # declared (routed) by GB 23200.19 for BZ-LAB: computed by it, not by GB 23200.121
    assert services.method_for(abamectin).code == "GB23200.19-2016-HPLC"
    sheet = services.create_worksheet(people["tech"], [abamectin.id])
    result = sheet.results[0]
    assert result.method_key == "GB23200.19-2016-HPLC"
    assert result.method_standard == "GB 23200.19-2016"
    codes = [c.method.code for c in services.method_choices(abamectin)]
    assert codes == ["GB23200.19-2016-HPLC", "GB23200.121-2021-LCMSMS"]
    services.switch_method(abamectin, people["tech"], "GB23200.121-2021-LCMSMS",
                           "液相色谱仪维修，改用本实验室声明的多残留方法",
                           expected_version=result.version)
    # 0 entered: ω = 0 × 10 × 1 / 10 = 0 < LOD 0.003 (the lab's capability): 未检出,
    # never "0.0 mg/kg 合格"
    zero = services.enter_result(abamectin, people["tech"],
                                 {"rho": "0", "V": "10", "m": "10"},
                                 expected_version=result.version)
    assert zero.method_key == "GB23200.121-2021-LCMSMS"
    assert zero.method_standard == "GB 23200.121-2021"
    assert zero.reported_value == "未检出" and zero.lod_source == "capability"
    assert services.result_display(zero) == "未检出（检出限 0.003 mg/kg）"
    assert zero.verdict == "pass"


def test_a_declared_method_without_a_method_file_is_refused_by_name(people,
                                                                    all_at_prefecture):
    test = all_at_prefecture["阿维菌素"]
    capability = services.lab_capabilities(test)[0]
    capability.method_standard = "GB 23200.999"
    test.test_item.method_standards += "|GB 23200.999"
    with pytest.raises(services.ResultError, match="GB 23200.999 没有方法文件") as caught:
        services.method_for(test)
    # the other method the lab declares for it and the rules allow is offered
    assert "GB 23200.121-2021" in caught.value.message
    db.session.rollback()
