"""Lookups on the shipped library where the food named is a category (a rules 细类 such as
谷物加工品 or 净菜) whose foods carry different limits, and GB 2760 Table B.1 (foods to
which no flavouring may be added).  Expected figures are read from the standards' texts
(GB_2762-2025.txt, GB_2760-2024.txt in ../shared/reference) and written here by hand."""

from __future__ import annotations

import datetime as dt

from lims.limits.checking import check_result
from lims.limits.index import NoLimit
from lims.limits.lookup import lookup_item

DAY = dt.date(2026, 10, 1)


def test_a_category_offers_the_limits_of_the_foods_in_it(index):
    # GB 2762-2025 表4: 无机砷 糙米 0.35, 大米(粉) 0.2 mg/kg; nothing on 谷物碾磨加工品 itself
    found = lookup_item(index, "无机砷(以As计)", "谷物加工品|粮食加工品", DAY)
    assert found.found
    answer = found.answers[0][1]
    assert isinstance(answer, NoLimit) and answer.code == "by_food"
    values = {(m.row.category_text, str(m.spec.value)) for m in answer.candidates}
    assert values == {("糙米", "0.35"), ("大米", "0.2")}
    assert "判定时请指明具体食品" in found.reason
    assert {e["text"] for e in found.to_json()["limits"]} == {"≤0.35mg/kg", "≤0.2mg/kg"}


def test_no_verdict_until_the_specific_food_is_named(index):
    outcome = check_result(index, "无机砷(以As计)", "谷物加工品", "0.25mg/kg", DAY)
    assert outcome.verdict == "no_limit"
    assert outcome.data["verdict_zh"] == "需指明具体食品"
    assert outcome.data["lookup"]["code"] == "by_food"
    assert len(outcome.data["candidates"]) == 2
    # named as 大米: 0.25 > 0.2 (GB 2762-2025 表4 大米(粉) 无机砷 0.2 mg/kg)
    assert check_result(index, "无机砷(以As计)", "大米", "0.25mg/kg", DAY).verdict == "fail"
    assert check_result(index, "无机砷(以As计)", "大米", "0.15mg/kg", DAY).verdict == "pass"


def test_jingcai_offers_the_vegetable_groups_mrls(index):
    # 净菜 (fresh-cut vegetables) is judged as the vegetable it is cut from
    found = lookup_item(index, "毒死蜱", "净菜|蔬菜", DAY)
    assert found.found
    texts = {m.row.category_text for _, m in found.matches}
    assert "鳞茎类蔬菜" in texts and "瓜类蔬菜" in texts


def test_one_food_placed_on_its_group_does_not_borrow_other_foods_limits(index):
    # 其他籽类 (葵花籽、南瓜籽…) sits on 生干坚果及籽类 as the rest of that group: 花生's 镉
    # limit (GB 2762-2025 表2 花生 0.5 mg/kg) is not its own
    found = lookup_item(index, "镉(以Cd计)", "其他籽类|生干坚果与籽类食品", DAY)
    assert not found.found
    assert all(m.row.category_text != "花生" for _, m in found.matches)


def test_other_species_do_not_borrow_the_listed_species_limits(index):
    # 其他畜肉 (驴、马、兔…): the 猪/牛/羊 林可霉素 MRLs of GB 31650 are not theirs
    found = lookup_item(index, "林可霉素", "其他畜肉|畜禽肉及副产品", DAY)
    assert all("猪" not in m.row.category_text for _, m in found.matches)


def test_flavouring_in_a_table_b1_food_is_not_permitted(index):
    # GB 2760-2024 表B.1 (GB_2760-2024.txt line 19342): 02.01.01 植物油脂 不得添加食品用香料、香精;
    # 乙基麦芽酚 is a synthetic flavouring (表B.3 序号1161 S1162, line 33877)
    found = lookup_item(index, "乙基麦芽酚", "食用植物油|食用油、油脂及其制品", DAY)
    assert found.found
    assert found.to_json()["limits"][0]["text"] == "不得使用"
    assert found.to_json()["limits"][0]["clause"] == "附录B 表B.1"
    outcome = check_result(index, "乙基麦芽酚", "食用植物油", "1.2mg/kg", DAY)
    assert outcome.verdict == "fail"
    assert check_result(index, "乙基麦芽酚", "食用植物油", "未检出", DAY).verdict == "pass"


def test_flavouring_elsewhere_is_not_read_as_forbidden(index):
    # outside Table B.1 a flavouring may be used (附录B B.1): absence from Table A.1 is not 不得使用
    found = lookup_item(index, "乙基麦芽酚", "糕点", DAY)
    assert not any(e["text"] == "不得使用" for e in found.to_json()["limits"])


def test_nitrite_in_a_meat_product_it_is_not_permitted_for_is_not_permitted(index):
    # GB 2760-2024 表A.1 亚硝酸钠/亚硝酸钾: 08.02.02 腌腊肉制品类, 08.03.01~08.03.06, 08.03.08
    # (残留量 ≤30/≤70/≤50 mg/kg); 08.02.01 调理肉制品 is not listed: nitrite found there was added
    found = lookup_item(index, "亚硝酸盐(以亚硝酸钠计)", "调理肉制品(非速冻)|肉制品", DAY)
    assert found.found
    assert found.to_json()["limits"][0]["text"] == "不得使用"
    assert check_result(index, "亚硝酸盐(以亚硝酸钠计)", "调理肉制品(非速冻)", "3.2mg/kg", DAY).verdict == "fail"
    # 腌腊肉制品: 残留量 ≤30 mg/kg, 25 conforms and 31 does not
    assert check_result(index, "亚硝酸盐(以亚硝酸钠计)", "腌腊肉制品", "25mg/kg", DAY).verdict == "pass"
    assert check_result(index, "亚硝酸盐(以亚硝酸钠计)", "腌腊肉制品", "31mg/kg", DAY).verdict == "fail"


def test_nitrite_in_a_fresh_vegetable_is_not_read_as_an_additive(index):
    # outside the food groups where GB 2760 permits nitrite (08.0 肉及肉制品) it is a contaminant
    # (GB 2762 sets 亚硝酸盐 for 腌渍蔬菜, not for fresh spinach): no 不得使用
    found = lookup_item(index, "亚硝酸盐(以亚硝酸钠计)", "菠菜", DAY)
    assert not any(e["text"] == "不得使用" for e in found.to_json()["limits"])


def test_a_positive_list_category_named_as_such_keeps_its_own_rows(index):
    # 糕点 named as 糕点: an additive that Table A.1 does not list for 07.02 is 不得使用, not
    # "depends on the food" (脱氢乙酸 was removed from 糕点 in the 2024 edition)
    found = lookup_item(index, "脱氢乙酸及其钠盐(以脱氢乙酸计)", "糕点", DAY)
    assert found.to_json()["limits"][0]["text"] == "不得使用"
