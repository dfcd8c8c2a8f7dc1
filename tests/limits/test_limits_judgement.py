"""Judgement: comparison methods, decision rules, detection limits, plans, species."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lims.limits.judgement import (
    Judgement,
    JudgementError,
    judge,
    judge_many,
    judge_plan,
    judge_total_for_species,
)
from lims.limits.parsing import ParseError


def verdict(result: str, limit: str, **kwargs: object) -> str:
    return judge(result, limit, **kwargs).verdict  # type: ignore[arg-type]


def test_unit_conversion_before_comparison() -> None:
    j = judge("0.0926g/kg", "≤50mg/kg")
    assert j.verdict == "fail" and j.converted == Decimal("92.6")
    assert verdict("287µg/kg", "≤0.3mg/kg") == "pass"


def test_full_and_rounded_comparison() -> None:
    assert verdict("0.054mg/kg", "≤0.05mg/kg") == "fail"
    assert verdict("0.054mg/kg", "≤0.05mg/kg", comparison="rounded") == "pass"
    assert verdict("0.055mg/kg", "≤0.05mg/kg", comparison="rounded") == "fail"
    assert verdict("0.045mg/kg", "≤0.05mg/kg", comparison="rounded") == "pass"
    # rounding to the limit's digit: 1.0×10⁴ is written to the thousands
    assert verdict("10400CFU/g", "≤1.0×10⁴CFU/g", comparison="rounded") == "pass"
    assert verdict("95.96%", "≥96%", comparison="rounded") == "pass"
    assert verdict("95.4%", "≥96%", comparison="rounded") == "fail"


def test_ranges_and_tolerances() -> None:
    assert verdict("14.1%vol", "13.5~15.5%vol") == "pass"
    assert verdict("15.6%vol", "13.5~15.5%vol") == "fail"
    assert verdict("18.9%vol", "≤18.0±1.0%vol") == "pass"
    assert verdict("19.1%vol", "≤18.0±1.0%vol") == "fail"
    assert verdict("16.9%vol", "18.0±1.0%vol") == "fail"
    assert verdict("17.0%vol", "18.0±1.0%vol") == "pass"
    with pytest.raises(JudgementError):
        judge("14%", "13.5~15.5%vol")


def test_decision_rules() -> None:
    limit, u = "≤0.05mg/kg", "0.004mg/kg"
    assert verdict("0.045mg/kg", limit, rule="guarded", uncertainty=u) == "pass"
    assert verdict("0.048mg/kg", limit, rule="guarded", uncertainty=u) == "fail"
    assert verdict("0.048mg/kg", limit, rule="non-binary", uncertainty=u) == "conditional_pass"
    assert verdict("0.052mg/kg", limit, rule="non-binary", uncertainty=u) == "conditional_fail"
    assert verdict("0.06mg/kg", limit, rule="non-binary", uncertainty=u) == "fail"
    assert (
        verdict("0.048mg/kg", limit, rule="non-binary", uncertainty="10%rel") == "conditional_pass"
    )
    assert verdict("97%", "≥96%", rule="non-binary", uncertainty="1.5%") == "conditional_pass"
    assert (
        verdict("14.0%vol", "13.5~15.5%vol", rule="non-binary", uncertainty="0.6%vol")
        == "conditional_pass"
    )
    j = judge("0.048mg/kg", limit, rule="non-binary", uncertainty=u)
    assert j.rule == "non-binary" and j.uncertainty == Decimal("0.004")
    with pytest.raises(JudgementError, match="不确定度"):
        judge("0.048mg/kg", limit, rule="guarded")
    with pytest.raises(JudgementError):
        judge("0.048mg/kg", limit, rule="lenient")
    with pytest.raises(ParseError):
        judge("0.048mg/kg", limit, rule="guarded", uncertainty="lots")
    with pytest.raises(JudgementError, match="%rel"):
        judge("0.048mg/kg", limit, rule="guarded", uncertainty="10%")


@settings(max_examples=300, deadline=None)
@given(
    x=st.decimals(min_value=0, max_value=2, places=4),
    u=st.decimals(min_value=0, max_value=Decimal("0.5"), places=4),
    limit=st.decimals(min_value=Decimal("0.01"), max_value=1, places=2),
)
def test_rules_are_consistent(x: Decimal, u: Decimal, limit: Decimal) -> None:
    text = f"≤{limit}mg/kg"
    result = f"{x}mg/kg"
    simple = verdict(result, text)
    guarded = verdict(result, text, rule="guarded", uncertainty=f"{u}mg/kg")
    nonbinary = verdict(result, text, rule="non-binary", uncertainty=f"{u}mg/kg")
    assert (nonbinary == "pass") == (guarded == "pass")
    assert (nonbinary in ("pass", "conditional_pass")) == (simple == "pass")
    if guarded == "pass":
        assert simple == "pass"


def test_detection_limits() -> None:
    assert verdict("未检出", "≤0.05mg/kg") == "pass"
    assert verdict("0.005mg/kg", "≤0.05mg/kg", lod="0.01mg/kg") == "pass"
    with pytest.raises(JudgementError, match="检出限"):
        judge("未检出", "≤0.05mg/kg", lod="0.1mg/kg")
    j = judge("0.02mg/kg", "≤0.05mg/kg", lod="0.01mg/kg", loq="0.03mg/kg")
    assert j.verdict == "pass" and any("定量限" in n for n in j.notes)
    assert verdict("未检出", "≥96%") == "fail"


def test_prohibited_substances() -> None:
    assert verdict("未检出", "不得检出") == "pass"
    assert verdict("0.3µg/kg", "不得检出", lod="0.1µg/kg") == "fail"
    assert verdict("0.1µg/kg", "不得检出", lod="0.1µg/kg") == "fail"  # at the LOD
    assert verdict("0.05µg/kg", "不得检出", lod="0.1µg/kg") == "pass"
    assert verdict("0.0003mg/kg", "不得检出", lod="0.1µg/kg") == "fail"  # LOD in another unit
    assert verdict("检出", "不得使用") == "fail"
    assert verdict("0.02g/kg", "不得使用") == "fail"
    assert verdict("<0.1µg/kg", "不得检出", lod="0.1µg/kg") == "pass"
    with pytest.raises(JudgementError):
        judge("<0.5µg/kg", "不得检出", lod="0.1µg/kg")
    j = judge("0.3µg/kg", "不得检出", rule="non-binary", uncertainty="0.1µg/kg")
    assert j.rule == "simple" and j.notes


def test_censored_results() -> None:
    assert verdict("<0.01mg/kg", "≤0.05mg/kg") == "pass"
    assert verdict("<0.05mg/kg", "<0.05mg/kg") == "pass"
    assert verdict(">0.06mg/kg", "≤0.05mg/kg") == "fail"
    assert verdict(">97%", "≥96%") == "pass"
    assert verdict("<0.05mg/kg", "≥0.05mg/kg") == "fail"
    for result, limit in [
        ("<0.1mg/kg", "≤0.05mg/kg"),
        ("≤0.05mg/kg", "<0.05mg/kg"),
        (">95%", "≥96%"),
    ]:
        with pytest.raises(JudgementError, match="只给出界限"):
            judge(result, limit)


def test_sampling_plans() -> None:
    plan = "n=5,c=2,m=10,M=100CFU/g"
    assert judge_plan("＜10，15，10，＜10，390CFU/g", plan).verdict == "fail"
    assert judge_plan("＜10，15，50，＜10，90CFU/g", plan).verdict == "fail"  # 3 above m
    assert judge_plan("＜10，15，10，＜10，90CFU/g", plan).verdict == "pass"
    assert judge_plan(["<10CFU/g", "10", "10", "100", "100"], plan).verdict == "pass"  # at m and M
    two = "n=5,c=0,m=0/25g"
    assert (
        judge_plan("未检出/25g,未检出/25g,未检出/25g,未检出/25g,未检出/25g", two).verdict == "pass"
    )
    assert judge_plan("未检出/25g,检出/25g,未检出/25g,未检出/25g,未检出/25g", two).verdict == "fail"
    with pytest.raises(JudgementError, match="n=5"):
        judge_plan("10,20CFU/g", plan)
    with pytest.raises(JudgementError, match="界限"):
        judge_plan("<100,15,10,<10,39CFU/g", plan)
    with pytest.raises(JudgementError):
        judge("10CFU/g", plan)
    with pytest.raises(JudgementError):
        judge_plan("10,10,10,10,10mg/kg", plan)
    data = judge_plan("＜10，15，10，＜10，390CFU/g", plan).to_dict()
    assert data["result"]["above_M"] == 1 and data["limit"]["plan"]["c"] == 2


def test_total_before_species() -> None:
    passed = judge_total_for_species(
        "0.8mg/kg", "≤1.2mg/kg", total_name="总汞", species_name="甲基汞"
    )
    assert passed is not None and passed.verdict == "pass" and "无需测定甲基汞" in passed.reason_zh
    assert judge_total_for_species("1.5mg/kg", "≤1.2mg/kg") is None


def test_judgement_record() -> None:
    j = judge("0.35mg/kg", "≤0.3mg/kg")
    assert isinstance(j, Judgement)
    assert j.verdict_zh == "不符合" and "不符合" in j.reason_zh
    data = j.to_dict()
    for key in ("verdict", "limit", "result", "comparison", "rule", "reason"):
        assert key in data
    assert data["result"]["converted"] == "0.35"
    with pytest.raises(AttributeError):
        j.verdict = "pass"  # type: ignore[misc]


def test_judge_many() -> None:
    out = judge_many(
        [("0.1mg/kg", "≤0.2mg/kg"), ("abc", "≤0.2mg/kg"), ("0.3", "≤0.2mg/kg")], errors="collect"
    )
    assert out[0].verdict == "pass" and isinstance(out[1], ParseError) and out[2].verdict == "fail"
    with pytest.raises(ParseError):
        judge_many([("abc", "≤0.2mg/kg")])
