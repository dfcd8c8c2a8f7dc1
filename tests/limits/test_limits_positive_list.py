"""Engine logic of issue 13 on a small hand-made library (not the shipped data):
GB 2760 as a positive list, 按生产需要适量使用 with Table A.2 exceptions, group items,
the A.4 sum of proportions, residue definitions that are sums, temporary MRLs,
declared values, per-volume plans, 细类 placement and ``verified`` on every verdict."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lims.limits import library as library_module
from lims.limits.checking import check_result, proportion_sums
from lims.limits.cli import limits
from lims.limits.judgement import JudgementError
from lims.limits.library import LibraryError, LimitMatch, NoLimit, load_library
from lims.limits.lookup import lookup_item
from lims.limits.parsing import ParseError

DAY = dt.date(2026, 10, 1)
HEAD = ("standard,clause,analyte,expressed_as,category,category_text,exclusions,limit,unit,"
        "basis,condition,temporary,notes,effective_from,effective_to,source,verified")  # fmt: skip

FILES = {
    "standards.csv": """code,family,edition,title,effective_from,effective_to,replaced_by,comparison,scheme,base_edition,notes,source,verified
GB 2760-2024,GB 2760,2024,食品添加剂使用标准,2025-02-08,,,full,GB2760,,,t,yes
GB 2762-2025,GB 2762,2025,污染物限量,2026-09-02,,,full,GB2762,,,t,yes
GB 2763-2026,GB 2763,2026,农药最大残留限量,2026-01-01,,,full,GB2763,,,t,secondary
GB 19298-2014,GB 19298,2014,包装饮用水,2015-05-24,,,full,GB2762,,,t,no
产品明示标准和质量要求,产品明示标准和质量要求,—,产品明示标准和质量要求,2000-01-01,,,full,GB2762,,,t,no
""",
    "food_categories.csv": """code,parent_codes,scheme,name_zh,aliases,source,verified
GB2760:00,,GB2760,各类食品,,t,yes
GB2760:04.02.02.03,GB2760:00,GB2760,腌渍的蔬菜,酱腌菜,t,yes
GB2760:14.0,GB2760:00,GB2760,饮料类,,t,yes
GB2760:14.01,GB2760:14.0,GB2760,包装饮用水,,t,yes
GB2760:14.06,GB2760:14.0,GB2760,固体饮料,,t,yes
GB2760:15.01,GB2760:00,GB2760,蒸馏酒,白酒,t,yes
GB2762:食品,,GB2762,食品,,t,yes
GB2762:蔬菜,GB2762:食品,GB2762,蔬菜及其制品,,t,yes
GB2762:酱腌菜,GB2762:蔬菜,GB2762,酱腌菜,,t,yes
GB2762:饮料,GB2762:食品,GB2762,饮料,,t,yes
GB2762:包装饮用水,GB2762:饮料,GB2762,包装饮用水,,t,yes
GB2762:酒,GB2762:食品,GB2762,酒类,白酒,t,yes
GB2763:蔬菜,,GB2763,蔬菜,,t,yes
GB2763:叶菜,GB2763:蔬菜,GB2763,叶菜类蔬菜,,t,yes
F:菠菜,GB2763:叶菜,food,菠菜,,t,yes
""",
    "analytes.csv": """name,aliases,species_of,group,notes
二氧化硫,二氧化硫残留量,,食品添加剂,
""",
    "limits_gb2760.csv": HEAD + """
GB 2760-2024,表A.1,苯甲酸及其钠盐,以苯甲酸计,GB2760:04.02.02.03,腌渍的蔬菜,,≤1.0,g/kg,fresh,,no,,,,t,yes
GB 2760-2024,表A.1,柠檬黄,,GB2760:14.0,饮料类,GB2760:14.01,≤0.10,g/kg,fresh,,no,,,,t,yes
GB 2760-2024,表A.1,日落黄,,GB2760:14.0,饮料类,GB2760:14.01,≤0.10,g/kg,fresh,,no,,,,t,secondary
GB 2760-2024,表A.1,苯甲酸及其钠盐,以苯甲酸计,GB2760:14.0,饮料类,GB2760:14.01,≤1.0,g/kg,fresh,,no,,,,t,yes
GB 2760-2024,表A.1,山梨酸及其钾盐,以山梨酸计,GB2760:14.0,饮料类,GB2760:14.01,≤0.5,g/kg,fresh,,no,,,,t,yes
GB 2760-2024,表A.1,柠檬酸,,GB2760:00,各类食品,GB2760:14.01,按生产需要适量使用,,fresh,,no,,,,t,yes
GB 2760-2024,表A.1,亚硝酸钠,,GB2760:04.02.02.03,腌渍的蔬菜,,≤0.15,g/kg,fresh,,no,,,,t,yes
GB 2760-2024,表B.1,乙基麦芽酚,,GB2760:14.01,包装饮用水,,不得使用,,fresh,,no,,,,t,yes
""",
    "limits_gb2762.csv": HEAD + """
GB 2762-2025,表1,亚硝酸钠,,GB2762:酱腌菜,酱腌菜,,≤20,mg/kg,fresh,,no,,,,t,yes
""",
    "limits_gb2763.csv": HEAD + """
GB 2763-2026,4.1,克百威,,GB2763:叶菜,叶菜类蔬菜,,≤0.02,mg/kg,fresh,,no,,,,t,secondary
GB 2763-2026,4.2,氟唑菌酰胺,,GB2763:叶菜,叶菜类蔬菜,,≤10,mg/kg,fresh,,yes,,,,t,no
""",
    "limits_products.csv": HEAD + """
GB 19298-2014,表3,铜绿假单胞菌,,GB2762:包装饮用水,包装饮用水,,"n=5,c=0,m=0",CFU/250mL,fresh,,no,,,,t,no
产品明示标准和质量要求,明示,蛋白质,,GB2762:饮料,饮料,,≥明示值,g/100g,fresh,,no,,,,t,no
产品明示标准和质量要求,明示,酒精度,,GB2762:酒,酒类,,明示值±1.0,%vol,fresh,,no,,,,t,no
GB 19298-2014,表2,商业无菌,,GB2762:饮料,饮料,,商业无菌,,fresh,,no,,,,t,no
GB 19298-2014,表2,酸度,,GB2762:饮料,饮料,,12~18,°T,fresh,,no,,,,t,no
""",
    "gb2760_additives.csv": """analyte,function,colour,source,verified
柠檬黄,着色剂,黄,t,yes
日落黄,着色剂,黄,t,yes
苯甲酸及其钠盐,防腐剂,,t,yes
山梨酸及其钾盐,防腐剂,,t,yes
二氧化硫,漂白剂|防腐剂|抗氧化剂,,t,no
乙基麦芽酚,食品用香料,,t,yes
""",
    "groups.csv": """group,member,expressed_as,source,verified
合成着色剂,柠檬黄,,t,yes
合成着色剂,日落黄,,t,yes
""",
    "residue_definitions.csv": """analyte,component,factor,standard,source,verified
克百威,克百威,1,GB 2763,t,secondary
克百威,3-羟基克百威,1,GB 2763,t,secondary
""",
}
PLACEMENT = """subcategory_code,subcategory_name,scheme,node,why,source,verified
17-1,其他饮料,GB2760,GB2760:14.0,饮料类,t,no
17-1,其他饮料,GB2762,GB2762:饮料,饮料,t,no
"""


@pytest.fixture()
def index(tmp_path: Path):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    placement = tmp_path / "placement.csv"
    placement.write_text(PLACEMENT, encoding="utf-8")
    return load_library(tmp_path, placement)


def test_additive_not_listed_for_the_food_is_not_permitted(index) -> None:
    match = index.lookup("苯甲酸及其钠盐", "白酒", DAY)
    assert isinstance(match, LimitMatch) and match.absent
    assert match.row.limit == "不得使用" and match.standard.code == "GB 2760-2024"
    assert "3.4" in match.row.notes and "表A.2" in match.row.notes
    # verified: as trusted as the additive's own rows (both yes here)
    assert match.verified == "yes"
    assert check_result(index, "苯甲酸及其钠盐", "白酒", "0.02g/kg", DAY).verdict == "fail"
    assert check_result(index, "苯甲酸及其钠盐", "白酒", "未检出", DAY).verdict == "pass"
    # the same additive where Table A.1 lists it: the maximum applies (1.0 g/kg)
    assert check_result(index, "苯甲酸及其钠盐", "酱腌菜", "0.9g/kg", DAY).verdict == "pass"
    assert check_result(index, "苯甲酸及其钠盐", "酱腌菜", "1.1g/kg", DAY).verdict == "fail"


def test_additive_register_alone_makes_absence_not_permitted(index) -> None:
    """二氧化硫 has no Table A.1 row in this library, only the register: not permitted."""
    outcome = check_result(index, "二氧化硫残留量", "白酒", "0.01g/kg", DAY)
    assert outcome.verdict == "fail"
    assert outcome.verified == "no" and outcome.limit_unverified


def test_gmp_use_and_table_a2_exceptions(index) -> None:
    ok = check_result(index, "柠檬酸", "固体饮料", "3.2g/kg", DAY)
    assert ok.verdict == "pass" and "按生产需要适量使用" in ok.data["reason"]
    # 包装饮用水 is a Table A.2 exception of the GMP row: not permitted there
    water = index.lookup("柠檬酸", "包装饮用水", DAY)
    assert isinstance(water, LimitMatch) and water.absent
    assert "表A.2" in water.row.notes
    assert check_result(index, "柠檬酸", "包装饮用水", "0.5g/kg", DAY).verdict == "fail"


def test_substance_that_is_also_a_contaminant_is_not_absent(index) -> None:
    # 亚硝酸钠 has a GB 2762 row (酱腌菜 20 mg/kg): where neither lists it, no limit.
    assert isinstance(index.lookup("亚硝酸钠", "白酒", DAY), NoLimit)
    both = index.lookup("亚硝酸钠", "酱腌菜", DAY)
    assert isinstance(both, NoLimit) and both.code == "ambiguous"


def test_group_item_member_by_member_and_sum_of_proportions(index) -> None:
    item = "合成着色剂(柠檬黄、日落黄)"
    # 0.06/0.10 + 0.05/0.10 = 1.1 > 1: each member conforms, the A.4 sum does not
    over = check_result(index, item, "其他饮料", "柠檬黄=0.06g/kg;日落黄=0.05g/kg", DAY)
    assert [o.verdict for _, o in over.members] == ["pass", "pass"]
    assert over.verdict == "fail"
    (same_colour,) = over.data["proportion_sums"]
    assert same_colour["function"] == "黄色着色剂" and same_colour["total"] == "1.1"
    # 0.04/0.10 + 0.05/0.10 = 0.9
    under = check_result(index, item, "其他饮料", "柠檬黄=0.04g/kg;日落黄=0.05g/kg", DAY)
    assert under.verdict == "pass" and under.data["proportion_sums"][0]["total"] == "0.9"
    # one text for every member; verified is the weakest of the members' rows
    nd = check_result(index, item, "其他饮料", "未检出", DAY)
    assert nd.verdict == "pass" and nd.verified == "secondary"
    # a member above its own maximum fails the item
    assert check_result(index, item, "其他饮料", "柠檬黄=0.11g/kg", DAY).verdict == "fail"
    # the group name alone means all its members
    assert check_result(index, "合成着色剂", "白酒", "柠檬黄=0.01g/kg", DAY).verdict == "fail"
    with pytest.raises(ParseError):
        check_result(index, item, "其他饮料", "苋菜红=0.01g/kg", DAY)


def test_preservatives_sum(index) -> None:
    # 苯甲酸 0.6/1.0 + 山梨酸 0.25/0.5 = 1.1
    sums = proportion_sums(
        index, "其他饮料", {"苯甲酸及其钠盐": "0.6g/kg", "山梨酸及其钾盐": "250mg/kg"}, DAY
    )
    assert [(s.function, s.to_dict()["total"], s.verdict) for s in sums] == [
        ("防腐剂", "1.1", "fail")
    ]


def test_residue_definition_sum_and_temporary_mark(index) -> None:
    # 0.012 + 0.010 = 0.022 mg/kg > 0.02
    over = check_result(index, "克百威", "菠菜", "克百威=0.012mg/kg;3-羟基克百威=10µg/kg", DAY)
    assert over.verdict == "fail" and over.data["result"]["value"] == "0.022"
    assert any("3-羟基克百威" in n for n in over.data["notes"])
    under = check_result(
        index, "克百威", "菠菜", "", DAY,
        components={"克百威": "0.012mg/kg", "3-羟基克百威": "未检出"},
    )  # fmt: skip
    assert under.verdict == "pass"
    with pytest.raises(JudgementError):
        check_result(index, "克百威", "菠菜", "克百威=0.012mg/kg", DAY)
    temporary = check_result(index, "氟唑菌酰胺", "菠菜", "5mg/kg", DAY)
    assert temporary.temporary and "临时限量" in temporary.data["notes"]
    assert temporary.verified == "no"


def test_declared_values(index) -> None:
    answer = lookup_item(index, "蛋白质", "其他饮料", DAY)
    assert answer.found and answer.declared_value_required
    missing = check_result(index, "蛋白质", "其他饮料", "2.8g/100g", DAY)
    assert missing.verdict == "no_limit" and missing.declared_value_required
    assert "明示值" in missing.data["reason"]
    low = check_result(index, "蛋白质", "其他饮料", "2.8g/100g", DAY, declared="3.0g/100g")
    assert low.verdict == "fail" and low.data["limit"]["display"] == "≥3.0g/100g"
    assert check_result(
        index, "蛋白质", "其他饮料", "3.1g/100g", DAY, declared="3.0g/100g"
    ).verdict == "pass"
    # 明示值±1.0%vol: declared 52%vol -> 51.0~53.0
    assert check_result(index, "酒精度", "白酒", "53.5%vol", DAY, declared="52%vol").verdict == "fail"
    assert check_result(index, "酒精度", "白酒", "52.9%vol", DAY, declared="52%vol").verdict == "pass"


def test_per_volume_plan(index) -> None:
    zero = "0,0,0,0,0CFU/250mL"
    assert check_result(index, "铜绿假单胞菌", "包装饮用水", zero, DAY).verdict == "pass"
    one = "0,0,2,0,0CFU/250mL"
    assert check_result(index, "铜绿假单胞菌", "包装饮用水", one, DAY).verdict == "fail"


def test_placement_resolves_and_is_checked(index, tmp_path: Path) -> None:
    assert index.graph.resolve("其他饮料", "GB2760") == "GB2760:14.0"
    bad = tmp_path / "bad.csv"
    bad.write_text(PLACEMENT.replace("GB2762,GB2762:饮料", "GB2762,GB2760:14.0"), encoding="utf-8")
    with pytest.raises(LibraryError, match="不属于分类体系"):
        load_library(tmp_path, bad)


def test_lookup_and_check_batch_json_lines(index, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(library_module, "load_shipped_library", lambda: index)
    batch = tmp_path / "batch.csv"
    batch.write_text(
        "item,food,date\n苯甲酸及其钠盐,白酒,2026-10-01\n克百威,菠菜|蔬菜,\n"
        "蛋白质,其他饮料,2026-10-01\n铅,菠菜,2026-13-01\n", encoding="utf-8",
    )  # fmt: skip
    result = CliRunner().invoke(limits, ["lookup", "--batch", str(batch), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["item"] for line in lines] == ["苯甲酸及其钠盐", "克百威", "蛋白质", "铅"]
    keys = {"item", "food", "found", "limits", "declared_value_required", "reason"}
    assert all(set(line) == keys for line in lines)
    assert [line["found"] for line in lines] == [True, True, True, False]
    assert lines[1]["food"] == "菠菜|蔬菜"
    assert all(set(limit) == {"text", "value", "unit", "standard", "clause", "category", "verified"}
               for line in lines for limit in line["limits"])
    assert set(lines[1]["limits"][0]) == {
        "text", "value", "unit", "standard", "clause", "category", "verified"}  # fmt: skip
    assert lines[1]["limits"][0]["value"] == "0.02" and lines[1]["limits"][0]["unit"] == "mg/kg"
    assert [line["declared_value_required"] for line in lines] == [False, False, True, False]

    checks = tmp_path / "check.csv"
    checks.write_text(
        "item,food,result,declared\n苯甲酸及其钠盐,白酒,0.02g/kg,\n克百威,菠菜,abc,\n"
        "蛋白质,其他饮料,2.8g/100g,3.0g/100g\n", encoding="utf-8",
    )  # fmt: skip
    result = CliRunner().invoke(limits, ["check", "--batch", str(checks), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 3
    assert lines[0]["verdict"] == "fail" and lines[0]["verified"] == "yes"
    assert "error" in lines[1]
    assert lines[2]["verdict"] == "fail" and lines[2]["declared_value_required"]


def test_batch_file_without_its_columns_is_refused(tmp_path: Path) -> None:
    batch = tmp_path / "batch.csv"
    batch.write_text("name,food\n铅,菠菜\n", encoding="utf-8")
    result = CliRunner().invoke(limits, ["lookup", "--batch", str(batch), "--json"])
    assert result.exit_code == 2 and "item" in json.loads(result.output)["error"]


def test_qualitative_limit_and_thorner_degrees(index) -> None:
    assert check_result(index, "商业无菌", "其他饮料", "商业无菌", DAY).verdict == "pass"
    assert check_result(index, "商业无菌", "其他饮料", "非商业无菌", DAY).verdict == "fail"
    with pytest.raises(ParseError):
        check_result(index, "商业无菌", "其他饮料", "0.1mg/kg", DAY)
    assert check_result(index, "酸度", "其他饮料", "18°T", DAY).verdict == "pass"
    assert check_result(index, "酸度", "其他饮料", "18.5 °T", DAY).verdict == "fail"


def test_coverage_counts_by_basis_standard(index) -> None:
    from lims.limits.coverage import CoverageQuery, basis_key, measure

    assert basis_key("GB 2763-2021") == "GB 2763"
    assert basis_key("GB 2749 / 产品明示标准和质量要求") == "GB 2749"
    assert basis_key("GB 29921 GB 31607") == "GB 29921"
    assert basis_key("GB/T 22474、GB 2760") == "GB/T 22474"
    queries = [
        CoverageQuery("苯甲酸及其钠盐", ("白酒",), "GB 2760", "t#1"),
        CoverageQuery("克百威", ("菠菜",), "GB 2763", "t#2"),
        CoverageQuery("腐霉利", ("菠菜",), "GB 2763", "t#3"),
        CoverageQuery("蛋白质", ("其他饮料",), "产品明示标准和质量要求", "t#4"),
    ]
    report = measure(index, queries, DAY)
    assert (report.found, report.total, report.declared) == (3, 4, 1)
    assert report.by_basis == {"GB 2760": [1, 1], "GB 2763": [1, 2], "产品明示标准和质量要求": [1, 1]}
    assert [m["item"] for m in report.misses] == ["腐霉利"]


def test_rules_item_sum_of_proportions(index) -> None:
    item = "防腐剂混合使用时各自用量占其最大使用量的比例之和"
    answer = lookup_item(index, item, "其他饮料", DAY)
    assert answer.found and answer.to_json()["limits"][0]["text"] == "≤1"
    assert answer.to_json()["limits"][0]["clause"] == "附录A A.4"
    # 0.6/1.0 + 0.25/0.5 = 1.1
    over = check_result(index, item, "其他饮料", "苯甲酸及其钠盐=0.6g/kg;山梨酸及其钾盐=0.25g/kg", DAY)
    assert over.verdict == "fail" and over.data["proportion_sums"][0]["total"] == "1.1"
    # 0.3/1.0 + 0.2/0.5 = 0.7; colours are not preservatives and are left out
    under = check_result(
        index, item, "其他饮料", "苯甲酸及其钠盐=0.3g/kg;山梨酸及其钾盐=0.2g/kg;柠檬黄=0.09g/kg", DAY
    )
    assert under.verdict == "pass" and under.data["proportion_sums"][0]["total"] == "0.7"
    colours = "相同色泽着色剂混合使用时各自用量占其最大使用量的比例之和"
    assert check_result(
        index, colours, "其他饮料", "柠檬黄=0.05g/kg;日落黄=0.06g/kg", DAY
    ).verdict == "fail"
    sweeteners = lookup_item(index, "甜味剂混合使用时各自用量占其最大使用量的比例之和", "其他饮料", DAY)
    assert not sweeteners.found
    with pytest.raises(ParseError):
        check_result(index, item, "其他饮料", "0.3g/kg", DAY)


def test_every_verdict_carries_verified(index) -> None:
    outcomes = [
        check_result(index, "腐霉利", "菠菜", "0.1mg/kg", DAY),  # no limit
        check_result(index, "苯甲酸及其钠盐", "白酒", "未检出", DAY),  # absence
        check_result(index, "合成着色剂(柠檬黄、日落黄)", "其他饮料", "未检出", DAY),  # group
        check_result(index, "蛋白质", "其他饮料", "2g/100g", DAY),  # declared value missing
    ]
    assert [o.data["verified"] for o in outcomes] == [None, "yes", "secondary", "no"]
    assert [o.limit_unverified for o in outcomes] == [False, False, True, True]
    assert all(set(o.data) >= {"verified", "temporary", "declared_value_required"} for o in outcomes)


def test_species_fallback_carries_verified() -> None:
    from lims.limits.library import load_shipped_library

    outcome = check_result(load_shipped_library(), "总汞(以Hg计)", "草鱼", "0.1mg/kg", DAY)
    assert outcome.verdict == "pass" and outcome.data["verified"] == outcome.match.verified


def test_check_text_output_says_limit_to_be_checked(index, monkeypatch) -> None:
    monkeypatch.setattr(library_module, "load_shipped_library", lambda: index)
    args = ["check", "--item", "克百威", "--food", "菠菜", "--result", "0.01mg/kg",
            "--date", "2026-10-01"]  # fmt: skip
    result = CliRunner().invoke(limits, args)
    assert result.exit_code == 0 and "限量待核" in result.output and "secondary" in result.output
    verified = CliRunner().invoke(limits, ["check", "--item", "苯甲酸及其钠盐", "--food", "酱腌菜",
                                           "--result", "0.5g/kg", "--date", "2026-10-01"])
    assert verified.exit_code == 0 and "限量待核" not in verified.output


def test_flavourings_are_not_read_from_table_a1(index) -> None:
    """附录A A.5: Table A.1 does not cover flavourings, so its silence is no 不得使用; the
    表B.1 foods where flavourings may not be added are rows of their own."""
    assert isinstance(index.lookup("乙基麦芽酚", "白酒", DAY), NoLimit)
    assert check_result(index, "乙基麦芽酚", "包装饮用水", "0.01g/kg", DAY).verdict == "fail"
