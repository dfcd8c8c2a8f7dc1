"""Cleaning of basis and method cells."""

import pytest

from lims.foods.standards import basis_family, clean_text, parse_basis, parse_methods


@pytest.mark.parametrize(
    ("raw", "methods", "notes"),
    [
        ("GB 5009.12", ["GB 5009.12"], []),
        ("GB 23200.113 / GB 23200.121", ["GB 23200.113", "GB 23200.121"], []),
        ("GB 23200.8 GB 23200.113 GB/T 5009.146 NY/T 761",
         ["GB 23200.8", "GB 23200.113", "GB/T 5009.146", "NY/T 761"], []),
        ("参照GB/T 20769 GB 23200.121 参照GB/T 23379",
         ["GB/T 20769", "GB 23200.121", "GB/T 23379"],
         ["GB/T 20769: 参照", "GB/T 23379: 参照"]),
        ("GB 4789.3平 板计数法", ["GB 4789.3"], ["GB 4789.3: 平板计数法"]),
        ("GB 4789.3 GB/T 4789.3-2003", ["GB 4789.3", "GB/T 4789.3-2003"], []),
        ("农业部781号公 告-4-2006", ["农业部781号公告-4-2006"], []),
        ("农业部 1031号 公告-2-2008 GB/T 21981",
         ["农业部1031号公告-2-2008", "GB/T 21981"], []),
        ("GB/T 5750.4-2006第 10章", ["GB/T 5750.4-2006"], ["GB/T 5750.4-2006: 第10章"]),
        ("GB 18394（直接 干燥法）", ["GB 18394"], ["GB 18394: 直接干燥法"]),
        ("GB 24154附录B", ["GB 24154"], ["GB 24154: 附录B"]),
        ("SN/T 2430 / BJS 201905", ["SN/T 2430", "BJS 201905"], []),
        ("DBS 65/ 016-2022", ["DBS 65/016-2022"], []),
        ("/", [], []),
        ("企业标准/注册的产品 技术要求", ["企业标准/注册的产品技术要求"], []),
    ],
)
def test_parse_methods(raw, methods, notes):
    assert parse_methods(raw) == (methods, notes)


def test_parse_basis_splits_and_moves_method_standards():
    basis, moved = parse_basis("GB 2718 / 产品明示标准和质量要求 / GB/T 4789.3-2003")
    assert basis == ["GB 2718", "产品明示标准和质量要求"]
    assert moved == ["GB/T 4789.3-2003"]


def test_parse_basis_normalises_phrases():
    assert parse_basis("GB 19644 产品明示标准或质量要求")[0] == [
        "GB 19644", "产品明示标准和质量要求"]
    assert parse_basis("产品明示标准和质量要求a")[0] == ["产品明示标准和质量要求", "a"]
    basis = parse_basis("卫生部、工业和信息化部、农业 部、工 商总局质检总局公告2011 年第10号")[0]
    assert basis == ["卫生部、工业和信息化部、农业部、工商总局、质检总局公告2011年第10号"]


@pytest.mark.parametrize(
    ("token", "family"),
    [("GB 2763", "GB 2763"), ("GB 2763.1", "GB 2763"), ("GB 31650.1", "GB 31650"),
     ("GB 10767-2021", "GB 10767"), ("DBS 65/016-2022", "DBS 65"),
     ("食品整治办〔2008〕3号", "食品整治办"), ("整顿办函〔2011〕1号", "整顿办函〔2011〕1号")],
)
def test_basis_family(token, family):
    assert basis_family(token) == family


def test_clean_text_keeps_spaces_between_latin_tokens_only():
    assert clean_text("甜蜜素（以环己基氨基 磺酸计）") == "甜蜜素(以环己基氨基磺酸计)"
    assert clean_text("GB  5009.12") == "GB 5009.12"
