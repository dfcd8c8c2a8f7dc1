"""Issue 14: one judgement path on the unrounded value, the comparison and rule stored with
each verdict, LOD/LOQ (the capability's over the method's), 未检出 never a number.

Lead in spinach (GB 2762: ≤0.3 mg/kg) by GB 5009.12 (ω = (ρ - ρ0) × V / (m × 1000)); with
ρ0 = 0.5 ng/mL, V = 10 mL, m = 0.5000 g every case below is ω = (ρ - 0.5) / 50 mg/kg.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from lims.capabilities.models import LabCapability
from lims.extensions import db
from lims.limits.checking import check_result
from lims.limits.services import library_index
from lims.results import services

from .conftest import LEAD


def _token(user) -> str:
    from lims.users.services import issue_token

    token = issue_token(user, name="test").token
    db.session.commit()
    return token


def _lead(people, tests_of, rho: str):
    return services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "rho": rho})


@pytest.mark.parametrize(("rho", "full", "shown", "verdict"), [
    ("15.5", "0.3", "0.30", "pass"),      # (15.5 - 0.5) / 50 = 0.300: at the limit, conforms
    ("15.6", "0.302", "0.30", "fail"),    # 15.1 / 50 = 0.302 > 0.3 although shown 0.30
    ("15.75", "0.305", "0.30", "fail"),   # 15.25 / 50 = 0.305 > 0.3; 0.305 → 0.30 half-even
    ("20.5", "0.4", "0.40", "fail"),
])
def test_the_verdict_is_on_the_full_value_not_the_rounded_one(people, tests_of, rho, full,
                                                                shown, verdict):
    result = _lead(people, tests_of, rho)
    assert result.value == Decimal(full)
    assert result.reported_value == shown
    assert result.verdict == verdict
    # how it was reached is stored with the verdict and shown beside it
    assert (result.comparison, result.decision_rule) == ("full", "simple")
    assert services.verdict_basis_zh(result) == "全数值比较法，简单接受规则"
    assert result.limit_text == "≤0.3mg/kg" and result.limit_standard.startswith("GB 2762")
    # `lims limits check` (the same function) on the same value says the same
    same = check_result(library_index(), "铅(以Pb计)", ["菠菜"], f"{full}mg/kg",
                        tests_of["铅"].sample.sampled_on)
    assert same.verdict == verdict


def test_worksheet_preview_and_api_agree_with_the_engine(client, login, csrf_from, people,
                                                         tests_of, entered):
    result = entered(lead={**LEAD, "rho": "15.75"})["铅"]
    login("wang")
    html = client.get(f"/results/{result.id}").get_data(as_text=True)
    answer = client.post(f"/results/{result.id}/preview",
                         data={"csrf_token": csrf_from(html), "in_rho": "15.75",
                               "in_rho0": "0.5", "in_V": "10", "in_m": "0.5000",
                               "version": result.version})
    data = answer.get_json()
    assert data["reported_value"] == "0.30" and data["verdict"] == "fail"
    assert data["comparison"] == "full" and data["decision_rule"] == "simple"
    api = client.get(f"/api/v1/results/{result.id}",
                     headers={"Authorization": f"Bearer {_token(people['tech'])}"}).get_json()
    assert (api["verdict"], api["comparison"], api["decision_rule"]) == ("fail", "full",
                                                                        "simple")
    assert api["value"] == "0.305" and api["reported_value"] == "0.30"
    page = client.get(f"/results/{result.id}").get_data(as_text=True)
    assert "不符合" in page and "全数值比较法" in page and "简单接受规则" in page


def test_below_lod_is_not_detected_with_the_lod_and_never_a_number(people, tests_of):
    # (0.9 - 0.5) / 50 = 0.008 < LOD 0.02 (the method's: BZ-LAB declares none of its own)
    result = _lead(people, tests_of, "0.9")
    assert (result.detection, result.detected, result.reported_value) == (
        "not_detected", False, "未检出")
    assert (result.lod, result.loq, result.lod_source) == (Decimal("0.02"), Decimal("0.04"),
                                                           "method")
    assert services.result_display(result) == "未检出（检出限 0.02 mg/kg）"
    assert result.verdict == "pass"
    # 0 entered (ρ = ρ0): 未检出, never "0.0 mg/kg 合格"
    zero = services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "rho": "0.5"},
                                 expected_version=result.version, reason="重测")
    assert zero.value == 0 and zero.reported_value == "未检出"
    assert services.result_display(zero) == "未检出（检出限 0.02 mg/kg）"


def test_between_lod_and_loq_is_reported_below_loq(people, tests_of):
    # (2.0 - 0.5) / 50 = 0.03: LOD 0.02 ≤ 0.03 < LOQ 0.04 → reported <0.04, judged as such
    result = _lead(people, tests_of, "2.0")
    assert result.value == Decimal("0.03")
    assert (result.detection, result.detected, result.reported_value) == (
        "below_loq", True, "<0.04")
    assert services.result_display(result) == "<0.04 mg/kg（检出，低于定量限）"
    assert result.verdict == "pass"  # <0.04 is below ≤0.3 whatever the true value


def test_the_capability_lod_loq_override_the_method(people, tests_of):
    capability = services.capability_for(tests_of["铅"], services.method_for(tests_of["铅"]))
    assert capability is not None and capability.org.code == "BZ-LAB"
    capability.lod, capability.loq, capability.unit = Decimal("0.005"), Decimal("0.01"), "mg/kg"
    db.session.flush()
    # (0.9 - 0.5) / 50 = 0.008: below the method's LOD 0.02 but between the lab's 0.005/0.01
    result = _lead(people, tests_of, "0.9")
    assert (result.lod, result.loq, result.lod_source) == (Decimal("0.005"), Decimal("0.01"),
                                                           "capability")
    assert result.detection == "below_loq" and result.reported_value == "<0.01"
    # (0.6 - 0.5) / 50 = 0.002 < 0.005: 未检出 with the lab's LOD
    again = services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "rho": "0.6"},
                                  expected_version=result.version, reason="复测")
    assert services.result_display(again) == "未检出（检出限 0.005 mg/kg）"


def test_no_lod_nor_loq_anywhere_is_refused(people, tests_of, monkeypatch):
    from dataclasses import replace

    from lims.methods import loader

    method = services.method_for(tests_of["铅"])
    bare = replace(method, limits=())
    monkeypatch.setitem(loader.load_methods(), method.code, bare)
    monkeypatch.setattr("lims.results.records._methods_of", lambda *_: [bare])
    with pytest.raises(services.ResultError, match="检出限和定量限"):
        _lead(people, tests_of, "12.5")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(LabCapability.id))) > 0


def test_between_lod_and_loq_as_the_method_says_the_value_with_a_note(people, tests_of,
                                                                     monkeypatch):
    from dataclasses import replace

    from lims.methods import loader

    method = services.method_for(tests_of["铅"])
    valued = replace(method, reporting=replace(method.reporting, below_loq="value"))
    monkeypatch.setitem(loader.load_methods(), method.code, valued)
    monkeypatch.setattr("lims.results.records._methods_of", lambda *_: [valued])
    # (2.0 - 0.5) / 50 = 0.03: between LOD 0.02 and LOQ 0.04; this method reports the value
    result = _lead(people, tests_of, "2.0")
    assert (result.detection, result.reported_value) == ("below_loq", "0.030")
    assert services.result_display(result) == "0.030 mg/kg（低于定量限 0.04 mg/kg，估计值）"
    assert result.verdict == "pass"


def test_rejudge_lists_stored_verdicts_given_on_the_rounded_value(app, people, tests_of):
    import json

    result = _lead(people, tests_of, "15.75")  # 0.305 mg/kg: 不符合 on the full value
    assert result.verdict == "fail"
    result.verdict = "pass"  # what the worksheet used to store (judged on the rounded 0.30)
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["results", "rejudge", "--json"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert [(r["result_id"], r["value"], r["stored_verdict"], r["full_value_verdict"])
            for r in rows] == [(result.id, "0.305", "pass", "fail")]
