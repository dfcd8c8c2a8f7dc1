"""The plan's targets on the hand-built 2026 world (tests/stats/conftest.py)."""

from __future__ import annotations

from lims.stats.period import Period
from lims.stats.targets import targets_report

YEAR = Period.year(2026)


def _rows(report):
    rows = {r["region"]: r for r in report["counties"]}
    rows["州"] = report["prefecture"]
    return rows


def test_samples_and_residue_samples_per_1000_people(world):
    rows = _rows(targets_report(YEAR))
    bole, jinghe, pref = rows["博乐市"], rows["精河县"], rows["州"]
    # 博乐: S1 and S2 (through its sub-samples) tested; S3's only result is submitted, not
    # concluded; S4 is commissioned, S5 has no result, S6 was sampled in 2025
    assert (bole["samples_tested"], bole["samples_per_1000"]) == (2, 2.0)
    assert bole["samples_per_1000_meets"] is False
    assert (bole["residue_samples"], bole["residue_per_1000"]) == (2, 2.0)  # chlorpyrifos
    assert bole["residue_per_1000_meets"] is True
    assert (jinghe["samples_tested"], jinghe["samples_per_1000"]) == (2, 1.0)
    assert (jinghe["residue_samples"], jinghe["residue_per_1000"]) == (2, 1.0)
    assert pref["population"] == 5000
    assert (pref["samples_tested"], pref["samples_per_1000"]) == (4, 0.8)
    assert (pref["residue_samples"], pref["residue_per_1000"]) == (4, 0.8)
    wenquan = rows["温泉县"]
    assert wenquan["samples_tested"] == 0  # 39 fish samples, none tested yet


def test_qualified_rate_of_supervision_overall_and_for_key_foods(world):
    rows = _rows(targets_report(YEAR))
    bole, jinghe, pref = rows["博乐市"], rows["精河县"], rows["州"]
    # S1 passed, S2 failed (its sub-sample A's lead); S5 is not concluded
    assert (bole["supervision_concluded"], bole["supervision_failed"]) == (2, 1)
    assert bole["qualified_rate"] == 0.5 and bole["qualified_meets"] is False
    assert (bole["key_concluded"], bole["key_failed"], bole["key_qualified_rate"]) == (2, 1, 0.5)
    assert jinghe["qualified_rate"] == 1.0 and jinghe["qualified_meets"] is True
    assert (pref["supervision_concluded"], pref["supervision_failed"]) == (4, 1)
    assert pref["qualified_rate"] == 0.75


def test_monthly_qualified_trend(world):
    months = {m["month"]: m for m in targets_report(YEAR)["monthly_qualified"]}
    assert (months["2026-03"]["supervision_concluded"], months["2026-03"]["qualified_rate"]) \
        == (2, 0.5)
    assert months["2026-06"]["qualified_rate"] == 1.0
    assert months["2026-07"]["qualified_rate"] == 1.0
    assert months["2026-05"]["qualified_rate"] is None  # S5: nothing concluded
    assert "2025-12" not in months


def test_share_of_results_published(world):
    from lims.extensions import db
    from lims.publication.services import publish

    rows = _rows(targets_report(YEAR))
    bole, jinghe, pref = rows["博乐市"], rows["精河县"], rows["州"]
    # 博乐 report units with every test approved: S1, S2-A, S2-B, S4; reported: S1, S2-A, S4
    assert (bole["report_units_approved"], bole["report_units_reported"]) == (4, 3)
    # issued reports are not publication: nothing is on a public notice yet
    assert (bole["supervision_concluded"], bole["supervision_published"]) == (2, 0)
    assert bole["published_rate"] == 0.0 and bole["published_meets"] is False
    publish(world.user, ["S1", "S2"])  # 博乐's concluded supervision samples
    publish(world.user, ["S7"])
    db.session.commit()
    rows = _rows(targets_report(YEAR))
    bole, jinghe, pref = rows["博乐市"], rows["精河县"], rows["州"]
    assert bole["published_rate"] == 1.0 and bole["published_meets"] is True
    assert (jinghe["supervision_concluded"], jinghe["supervision_published"]) == (2, 1)
    assert jinghe["published_rate"] == 0.5
    assert pref["published_rate"] == 0.75
    # station results: 5 in 博乐's markets in 2026, 2 published
    assert (bole["station_results"], bole["station_results_published"]) == (5, 2)
    assert bole["station_published_rate"] == 0.4


def test_rapid_testing_rate_of_wholesale_markets(world):
    rows = _rows(targets_report(YEAR))
    bole, jinghe, pref = rows["博乐市"], rows["精河县"], rows["州"]
    # 博乐 wholesale market: 10 stalls, A1 (twice), A2, A3 tested in 2026; the retail market
    # and the closed wholesale market do not count
    assert (bole["wholesale_stalls"], bole["wholesale_stalls_tested"]) == (10, 3)
    assert bole["rapid_testing_rate"] == 0.3 and bole["rapid_testing_meets"] is False
    assert (jinghe["wholesale_stalls"], jinghe["wholesale_stalls_tested"]) == (4, 3)
    assert jinghe["rapid_testing_rate"] == 0.75
    assert (pref["wholesale_stalls"], pref["wholesale_stalls_tested"]) == (14, 6)
    assert pref["rapid_testing_rate"] == round(6 / 14, 4)


def test_rapid_positive_confirmation_rate(world):
    rows = _rows(targets_report(YEAR))
    bole, jinghe, pref = rows["博乐市"], rows["精河县"], rows["州"]
    assert (bole["rapid_positives"], bole["rapid_concluded"], bole["rapid_confirmed"]) == (2, 2, 1)
    assert bole["confirmation_rate"] == 0.5
    assert (jinghe["rapid_positives"], jinghe["rapid_concluded"]) == (1, 0)
    assert jinghe["confirmation_rate"] is None
    assert (pref["rapid_positives"], pref["confirmation_rate"]) == (3, 0.5)


def test_varieties_sampled_at_least_20_times(world):
    varieties = targets_report(YEAR)["varieties"]
    counts = {(r["group"], r["food_name"]): r["samples"] for r in varieties["rows"]}
    # S4 (commissioned) and S6 (2025) are not counted
    # grouped by the rules' 细类: carp and grass carp are both 淡水鱼 (20 + 19)
    assert counts == {("蔬菜", "菠菜"): 3, ("水果", "苹果"): 2, ("水产品", "淡水鱼"): 39}
    groups = {g["group"]: (g["varieties"], g["varieties_20"]) for g in varieties["groups"]}
    assert groups == {"蔬菜": (1, 0), "水果": (1, 0), "肉和蛋": (0, 0), "水产品": (1, 1)}


def test_turnaround_median_and_90th_percentile(world):
    rows = _rows(targets_report(YEAR))
    # 博乐 reports: S4 2 days, S1 4 days, S2-A 6 days -> median 4; p90 at 1.8 -> 4 + 0.8×2
    bole = rows["博乐市"]
    assert (bole["turnaround_reports"], bole["turnaround_median_days"],
            bole["turnaround_p90_days"]) == (3, 4.0, 5.6)
    assert (rows["精河县"]["turnaround_median_days"], rows["精河县"]["turnaround_p90_days"]) \
        == (10.0, 10.0)
    # all four: 2, 4, 6, 10 -> median 5; p90 at 2.7 -> 6 + 0.7×4
    pref = rows["州"]
    assert (pref["turnaround_reports"], pref["turnaround_median_days"],
            pref["turnaround_p90_days"]) == (4, 5.0, 8.8)


def test_a_county_sees_only_itself(world):
    report = targets_report(YEAR, region_id=world.regions["精河县"].id)
    assert [r["region"] for r in report["counties"]] == ["精河县"]
    assert report["prefecture"] is None
    assert report["failures"]["items"] == []  # the failed lead is in 博乐市


def test_top_failing_items_and_foods(world):
    failures = targets_report(YEAR)["failures"]
    assert failures["items"] == [{"item": "铅(以Pb计)", "results": 1}]
    assert failures["foods"] == [{"food": "菠菜", "samples": 1}]
