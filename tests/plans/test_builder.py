"""The plan's arithmetic on the demo counties, checked against sums worked out by hand."""

from __future__ import annotations

import csv
from pathlib import Path

from lims.plans import builder
from lims.plans.builder import CountyInput, ItemHistory, VarietyInput

# Populations of lims/orgs/data/bortala.csv (七普 figures, as shipped).
POPULATION = {"652701": 281209, "652702": 16712, "652722": 129531, "652723": 60746}
NAMES = {"652701": "博乐市", "652702": "阿拉山口市", "652722": "精河县", "652723": "温泉县"}
# Residue tested = the variety's table in the 2026 rules has a pesticide / vet-drug item.
NOT_RESIDUE = {"小麦粉", "食用植物油"}
VARIETIES = Path(__file__).parents[2] / "lims" / "plans" / "data" / "county_varieties.csv"


def demo_counties(history: dict | None = None) -> list[CountyInput]:
    lists: dict[str, list[str]] = {}
    with VARIETIES.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            lists.setdefault(row["county_code"], []).append(row["variety"])
    history = history or {}
    return [CountyInput(code, NAMES[code], POPULATION[code], tuple(
        VarietyInput(v, v not in NOT_RESIDUE, history.get((code, v), ())) for v in names))
        for code, names in lists.items()]


def test_targets_met_by_construction_for_the_demo_counties():
    plans = {p.code: p for p in builder.build(demo_counties())}
    # 4 and 2 per 1,000, rounded up, worked out by hand:
    #   博乐市 281,209 → 1,124.836 → 1,125 and 562.418 → 563
    #   阿拉山口市 16,712 → 66.848 → 67 and 33.424 → 34
    #   精河县 129,531 → 518.124 → 519 and 259.062 → 260
    #   温泉县 60,746 → 242.984 → 243 and 121.492 → 122
    expected = {"652701": (1125, 563), "652702": (67, 34), "652722": (519, 260),
                "652723": (243, 122)}
    # varieties in the shipped list: 20, 4, 12, 7 → minimum 400, 80, 240, 140 samples
    minimum = {"652701": 400, "652702": 80, "652722": 240, "652723": 140}
    for code, (total, residue) in expected.items():
        plan = plans[code]
        assert (plan.target_total, plan.target_residue) == (total, residue)
        counts = plan.counts
        assert sum(counts.values()) == max(total, minimum[code])
        assert sum(c for v, c in counts.items() if v not in NOT_RESIDUE) >= residue
        assert min(counts.values()) >= 20
        for variety, months in plan.months.items():
            assert len(months) == 12 and sum(months) == counts[variety]
            assert max(months) - min(months) <= 1  # spread evenly over the year
        monthly = [sum(m[i] for m in plan.months.values()) for i in range(12)]
        assert sum(monthly) == sum(counts.values())
        assert max(monthly) - min(monthly) <= 1
    # 阿拉山口市: four varieties at 20 already exceed 67, so no risk share is added
    assert plans["652702"].counts == {"羊肉": 20, "菠菜": 20, "马铃薯": 20, "鸡蛋": 20}


def test_same_inputs_same_plan():
    first = builder.build(demo_counties())
    second = builder.build(list(reversed(demo_counties())))
    assert [(p.code, p.counts, p.months) for p in first] == \
        [(p.code, p.counts, p.months) for p in second]


def test_samples_move_toward_a_variety_whose_failure_rate_rose():
    # Every 博乐市 variety sampled 100 times with 1 failure of one item; prefecture the same.
    base = {("652701", v): (ItemHistory("农药残留", 100, 1, 400, 4),)
            for v in builder_varieties("652701")}
    before = {p.code: p for p in builder.build(demo_counties(base))}["652701"]
    risen = dict(base)
    risen[("652701", "韭菜")] = (ItemHistory("腐霉利", 100, 12, 400, 15),)
    after = {p.code: p for p in builder.build(demo_counties(risen))}["652701"]
    assert after.counts["韭菜"] > before.counts["韭菜"]
    assert sum(after.counts.values()) == sum(before.counts.values()) == 1125
    for variety in before.counts:
        if variety != "韭菜":
            assert after.counts[variety] <= before.counts[variety]
    # The weight is the shrunk rate, by hand: (12 + 20 × 15/400) / (100 + 20) = 12.75/120
    assert abs(after.weights["韭菜"] - 12.75 / 120) < 1e-12
    # and a variety never sampled anywhere gets the floor
    assert builder.variety_weight(VarietyInput("新品种", True)) == builder.NEVER_SAMPLED_WEIGHT


def test_split_by_largest_remainder():
    # 10 over weights 1:1:1 → quotas 3.33 each; one extra to the first name
    assert builder.split_by_weight(10, {"b": 1, "a": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert builder.spread_months(14, 11) == [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]


def test_a_county_without_residue_varieties_is_refused():
    county = CountyInput("1", "某县", 100000, (VarietyInput("小麦粉", False),))
    try:
        builder.plan_county(county)
    except builder.PlanError as exc:
        assert "农药兽药残留" in str(exc)
    else:
        raise AssertionError("a plan that cannot meet 2 per 1,000 was accepted")


def builder_varieties(code: str) -> list[str]:
    with VARIETIES.open(encoding="utf-8") as fh:
        return [r["variety"] for r in csv.DictReader(fh) if r["county_code"] == code]
