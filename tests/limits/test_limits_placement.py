"""Issue 13 item 1: every 细类 of the 2026 rules is placed in every category scheme that
its items' basis standards use (lims/foods/data/subcat_placement.csv + same-name nodes)."""

from __future__ import annotations

import csv
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest

from lims.limits.library import LimitIndex

FOODS = Path(str(resources.files("lims.foods").joinpath("data")))


def _csv(name: str) -> list[dict[str, str]]:
    with (FOODS / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


SUBCATEGORIES = {
    c["code"]: c["name_zh"] for c in _csv("rules_2026_categories.csv") if c["level"] == "4"
}


def schemes_of(family: str) -> set[str]:
    """The category scheme(s) a basis standard's rows are written on."""
    if family in ("GB 2762", "GB 2761", "GB 29921"):
        return {"GB2762"}
    if family == "GB 2760":
        return {"GB2760"}
    if family.startswith("GB 2763"):
        return {"GB2763"}
    if "31650" in family or "第250号" in family:
        return {"VET"}
    return set()


def needed() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(lambda: {"PRODUCT"})
    for item in _csv("rules_2026_items.csv"):
        for family in filter(None, item["basis_families"].split("|")):
            out[item["subcategory_code"]] |= schemes_of(family)
    return out


NEEDED = needed()


def test_every_rules_subcategory_has_items_and_schemes() -> None:
    assert len(SUBCATEGORIES) == 259
    pairs = sum(len(s) for s in NEEDED.values())
    assert pairs >= 360 + len(NEEDED)  # four standard schemes + the product scheme


@pytest.mark.parametrize("code", sorted(NEEDED), ids=str)
def test_subcategory_resolves_in_each_scheme_its_items_use(code: str, index: LimitIndex) -> None:
    name = SUBCATEGORIES[code]
    for scheme in sorted(NEEDED[code]):
        node = index.graph.resolve(name, scheme)
        assert node is not None, f"细类 {code}“{name}”不在 {scheme} 分类中"


def test_placement_file_rows_are_explained_and_used(index: LimitIndex) -> None:
    rows = _csv("subcat_placement.csv")
    assert len(rows) > 300
    seen = set()
    for row in rows:
        key = (row["subcategory_code"], row["scheme"])
        assert key not in seen, key
        seen.add(key)
        assert SUBCATEGORIES[row["subcategory_code"]] == row["subcategory_name"]
        assert row["why"].strip() and row["source"].strip() and row["verified"] in ("yes", "no")
        assert row["node"] in index.graph.nodes
        # the placement wins: the 细类 name walks up from the placed node
        found = index.graph.resolve(row["subcategory_name"], row["scheme"])
        chain = {c for _, c in index.graph.ancestors(found, row["scheme"])}
        assert row["node"] in chain, (row, found)


def test_a_few_placements_read_from_the_standards(index: LimitIndex) -> None:
    graph = index.graph

    def under(name: str, scheme: str) -> set[str]:
        return {c for _, c in graph.ancestors(graph.resolve(name, scheme), scheme)}

    # GB 2762-2025 line 236 “大米(粉)”: the rules' 米粉 (谷物碾磨加工品) is rice flour
    assert "F:大米" in under("米粉", "GB2762")
    # GB 2760-2024 Table E.1: 灭菌乳 01.01.02, 酱油 12.04, 腌渍的蔬菜 04.02.02.03
    assert "GB2760:01.01.02" in under("液体乳(灭菌乳)", "GB2760")
    assert "GB2760:12.04" in under("酱油", "GB2760")
    assert "GB2760:04.02.02.03" in under("酱腌菜", "GB2760")
    # GB 2763 Appendix A: 普通白菜 is a leafy vegetable, 柑、橘 a citrus fruit
    assert "GB2763:叶菜类蔬菜" in under("普通白菜(小白菜、小油菜、青菜)", "GB2763")
    assert "GB2763:柑橘类水果" in under("柑、橘", "GB2763")
    # GB 31650: 淡水鱼 -> 鱼 皮+肉; 其他禽蛋 -> 家禽 蛋
    assert "VET:鱼-皮+肉" in under("淡水鱼", "VET")
    assert "VET:家禽-蛋" in under("其他禽蛋", "VET")
