"""Coverage of the T1 items, worked out by hand from the capabilities in conftest.

  item                  limit            capability that fits                 covered?
  A 菠菜 铅             ≤0.3 mg/kg       BL-LAB 铅, LOQ 0.25 mg/kg             yes (counties)
  B 菠菜 镉             ≤0.2 mg/kg       JH-LAB by GB 5009.268 (not allowed)   no: method
  C 菠菜 毒死蜱         ≤0.02 mg/kg      WQ-LAB, LOQ not declared              no: LOQ (method yes)
  D 菠菜 菌落总数       none             BZ-LAB                                yes (prefecture)
  G 菠菜 亚硝酸盐 (DBS) —                none                                  no
  E 小麦粉 铅           ≤0.2 mg/kg       BL-LAB 铅, LOQ 0.25 > 0.2             no: LOQ (method yes)
  F 小麦粉 苯并[a]芘    ≤2.0 µg/kg       BZ-LAB, LOQ 0.5 µg/kg                 yes (prefecture)
  H 苹果 毒死蜱         ≤… mg/kg         WQ-LAB's scope is 蔬菜 only          no
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lims.extensions import db
from lims.stats.coverage import coverage_report, item_table, normalise_method
from lims.stats.period import Period

ON = dt.date(2026, 11, 1)


def _by(rows, key):
    return {r["key"]: r for r in rows}


def test_normalise_method_ignores_year_and_spaces():
    assert normalise_method("GB 5009.27-2016") == normalise_method("GB5009.27")
    assert normalise_method("GB/T 5009.199-2003") == "GB/T5009.199"
    assert normalise_method("GB 5009.12") != normalise_method("GB 5009.15")


def test_coverage_with_and_without_the_loq_check(rules):
    report = coverage_report(Period.year(2026), on=ON)
    assert report["items"] == 8
    assert report["local_items"] == 1
    assert (report["covered"], report["rate"]) == (3, 0.375)          # A, D, F
    assert (report["covered_by_method"], report["rate_by_method"]) == (5, 0.625)  # + C, E
    assert report["meets_target"] is False
    tiers = _by(report["by_tier"], "key")
    assert (tiers["prefecture"]["covered"], tiers["prefecture"]["covered_by_method"]) == (2, 2)
    assert (tiers["counties"]["covered"], tiers["counties"]["covered_by_method"]) == (1, 3)
    assert tiers["network"]["covered"] == 3


def test_coverage_by_category_and_by_basis_standard(rules):
    report = coverage_report(Period.year(2026), on=ON)
    categories = _by(report["by_category"], "key")
    assert (categories["34"]["items"], categories["34"]["covered"],
            categories["34"]["covered_by_method"]) == (5, 2, 3)
    assert (categories["1"]["items"], categories["1"]["covered"]) == (2, 1)
    assert categories["1"]["rate"] == 0.5
    assert (categories["36"]["items"], categories["36"]["covered"]) == (1, 0)
    basis = _by(report["by_basis"], "key")
    assert (basis["GB 2762"]["items"], basis["GB 2762"]["covered"],
            basis["GB 2762"]["covered_by_method"]) == (4, 2, 3)
    assert (basis["GB 2763"]["items"], basis["GB 2763"]["covered"],
            basis["GB 2763"]["covered_by_method"]) == (2, 0, 1)
    assert basis["GB 29921"]["rate"] == 1.0 and basis["GB 29921"]["meets_target"]
    assert (basis["DBS 65/010"]["items"], basis["DBS 65/010"]["covered"]) == (1, 0)


def test_reasons_and_limits_of_uncovered_items(rules):
    table = {row.code: row for row in item_table(ON)}
    assert table["34-6:镉"].reason == "method_not_allowed"
    assert table["34-6:毒死蜱"].reason == "loq_not_declared"
    assert table["1-1:铅"].reason == "loq_above_limit"
    assert table["1-1:铅"].limit_text == "≤0.2mg/kg"
    assert table["36-1:毒死蜱"].reason == "no_capability"
    assert table["34-6:亚硝酸盐"].reason == "no_capability"
    # no numeric limit: the declared capability covers without an LOQ
    assert table["34-6:菌落总数"].limit_numeric is False
    assert table["34-6:菌落总数"].covered["prefecture"] is True
    assert table["34-6:铅"].labs == ["BL-LAB"]


def test_a_lower_loq_closes_the_gap(rules):
    from lims.capabilities.models import LabCapability

    before = coverage_report(Period.year(2026), on=ON)["covered"]
    db.session.add(LabCapability(org=rules.orgs["JH-LAB"], analyte_key="铅",
                                 food_scope_code="1", method_standard="GB 5009.12",
                                 loq=Decimal("20"), unit="μg/kg"))  # 0.02 mg/kg ≤ 0.2
    db.session.commit()
    after = coverage_report(Period.year(2026), on=ON)
    assert after["covered"] == before + 1
    assert "1-1:铅" not in [g["item_code"] for g in after["gaps"]]


def test_gap_list_is_ordered_by_the_samples_that_needed_the_item(world):
    report = coverage_report(Period.year(2026), on=ON)
    gaps = report["gaps"]
    assert report["gap_count"] == 5
    assert [(g["item_code"], g["samples"]) for g in gaps[:3]] == [
        ("34-6:毒死蜱", 2), ("36-1:毒死蜱", 2), ("1-1:铅", 1)]
    assert {g["item_code"] for g in gaps[3:]} == {"34-6:镉", "34-6:亚硝酸盐"}
    assert all(g["samples"] == 0 for g in gaps[3:])  # S5's removed cadmium test does not count
    assert gaps[0]["reason_zh"]


def test_items_tested_against_items_required(world):
    report = coverage_report(Period.year(2026), on=ON)
    # ten active tests on the 2026 samples; seven have a concluded result (S3's
    # benzo[a]pyrene and S5's lead have none, S3's lead is only submitted)
    assert report["tested_ratio"] == {"required": 10, "tested": 7, "rate": 0.7}
    county = coverage_report(Period.year(2026), on=ON,
                             region_id=world.regions["精河县"].id)
    assert county["tested_ratio"] == {"required": 2, "tested": 2, "rate": 1.0}
    assert county["rate"] == report["rate"]  # capabilities are the network's, not the county's


def test_the_cache_sees_a_withdrawn_capability(rules):
    from lims.capabilities.models import LabCapability

    assert coverage_report(Period.year(2026), on=ON)["covered"] == 3
    cap = db.session.query(LabCapability).filter_by(analyte_key="苯并[a]芘").one()
    cap.active = False
    db.session.commit()
    assert coverage_report(Period.year(2026), on=ON)["covered"] == 2


def test_a_period_that_is_not_whole_months(world):
    # 1–15 March: only S1 (sampled on the 10th, lead and chlorpyrifos both tested)
    period = Period.parse(date_from="2026-03-01", date_to="2026-03-15")
    report = coverage_report(period, on=ON)
    assert report["tested_ratio"] == {"required": 2, "tested": 2, "rate": 1.0}
    whole = coverage_report(Period.parse(date_from="2026-03-01", date_to="2026-03-31"), on=ON)
    assert whole["tested_ratio"] == {"required": 4, "tested": 4, "rate": 1.0}
