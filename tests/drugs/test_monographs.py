"""The shipped monograph files and the entry's mapping of figures onto the rules."""

from __future__ import annotations

import pytest

from lims.drugs.entry import judge
from lims.drugs.judgement import Outcome
from lims.drugs.monographs import MonographError, load_shipped, parse_monograph
from lims.results.errors import ResultError

ISSUE_LIST = {"阿莫西林胶囊", "对乙酰氨基酚片", "复方丹参片", "复方甘草片", "维生素C片", "葡萄糖注射液",
              "氯化钠注射液", "头孢氨苄胶囊", "布洛芬缓释胶囊", "盐酸二甲双胍片", "硝苯地平片", "六味地黄丸",
              "板蓝根颗粒", "阿奇霉素片", "奥美拉唑肠溶胶囊"}


def by_name():
    return {m.name: m for m in load_shipped()}


def test_fifteen_shipped_each_value_sourced_and_marked():
    found = by_name()
    assert set(found) == ISSUE_LIST
    for monograph in found.values():
        assert "chp_monograph_names.json 第" in monograph.source
        assert monograph.verified is False
        for item in monograph.items:
            assert item.source and item.verified is False, (monograph.name, item.name)
        sections = {i.section for i in monograph.items}
        assert {"性状", "鉴别"} <= sections


def test_entry_maps_figures_onto_the_rules():
    nifedipine = by_name()["硝苯地平片"]
    uniformity = next(i for i in nifedipine.items if i.kind == "uniformity")
    # m ± 3 on 4 units, m on 6: S = 2; A = 10.6 → A + 2.2S = 15.0 ≤ 15 → pass
    first = "92.4 92.4 86.4 86.4 89.4 89.4 89.4 89.4 89.4 89.4"
    found, value, reported, _unit = judge(uniformity, {"first": first}, labelled=None)
    assert found.outcome == Outcome.PASS and reported == "符合规定"
    assert str(value) == "89.40"
    with pytest.raises(ResultError, match="复试"):  # A = 10.7 → retest
        judge(uniformity, {"first": first.replace("89.4", "89.3").replace("92.4", "92.3")
                           .replace("86.4", "86.3")}, labelled=None)
    ibuprofen = by_name()["布洛芬缓释胶囊"]
    release = next(i for i in ibuprofen.items if i.kind == "release")
    points = "\n".join(["20 20 20 20 20 20", "40 40 40 40 40 40", "65 65 65 65 65 65",
                        "90 90 90 90 90 90"])
    assert judge(release, {"points": points}, labelled=None)[0].outcome == Outcome.PASS
    # 7 h: 74 is 1 below 75 on one unit, mean (74 + 5×90)/6 = 87.33 ≥ 75 → still passes
    assert judge(release, {"points": points.replace("90 90 90 90 90 90",
                                                    "74 90 90 90 90 90")},
                 labelled=None)[0].outcome == Outcome.PASS
    danshen = by_name()["复方丹参片"]
    micro = next(i for i in danshen.items if i.kind == "microbial")
    ok = judge(micro, {"tamc": "20000", "tymc": "200", "detected": ""}, labelled=None)[0]
    assert ok.outcome == Outcome.PASS  # 10⁴ → 20000, 10² → 200
    bad = judge(micro, {"tamc": "100", "tymc": "10", "detected": "大肠埃希菌"}, labelled=None)[0]
    assert bad.outcome == Outcome.FAIL
    content = next(i for i in danshen.items if i.code == "hanliang")
    # 不得少于 0.20 mg, 2 decimals: 0.194 → 0.19 fails; 0.195 → 0.20 (half to even) passes
    assert judge(content, {"value": "0.194"}, labelled=None)[0].outcome == Outcome.FAIL
    assert judge(content, {"value": "0.195"}, labelled=None)[0].outcome == Outcome.PASS


def test_parse_lists_every_problem():
    with pytest.raises(MonographError) as caught:
        parse_monograph('[monograph]\nkey = "x"\n')
    problems = caught.value.problems
    assert "[monograph]：缺少 name" in problems and "没有检验项目（[[items]]）" in problems
    with pytest.raises(MonographError, match="不是有效的 TOML"):
        parse_monograph("[monograph\n")
