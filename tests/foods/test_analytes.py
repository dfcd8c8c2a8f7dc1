"""Analyte key normalisation."""

import pytest

from lims.foods.analytes import AnalyteName, analyte_key, split_analyte_name


@pytest.mark.parametrize(
    ("text", "key", "expressed"),
    [
        ("铅（以Pb计）", "铅", "以Pb计"),
        ("铅(以Pb计)", "铅", "以Pb计"),
        ("铅 以Pb计", "铅", "以Pb计"),
        ("铅", "铅", None),
        ("亚硝酸盐（以NaNO2计）", "亚硝酸盐", "以NaNO2计"),
        ("铝的残留量（干样品，以Al计）", "铝的残留量", "以Al计"),
        ("铝的残留量 （以即食海蜇中Al计）", "铝的残留量", "以即食海蜇中Al计"),
        ("酸价（以脂肪计）（KOH）", "酸价", "以脂肪计"),
        ("酸值/酸价", "酸价", None),
        ("苯并[α]芘", "苯并[a]芘", None),
        ("麦芽糖含量 （以干物质计，质量分数)", "麦芽糖含量(质量分数)", "以干物质计"),
    ],
)
def test_split(text, key, expressed):
    assert split_analyte_name(text) == AnalyteName(key=key, expressed_as=expressed)


def test_full_width_letters_fold():
    assert split_analyte_name("铅（以Ｐｂ计）").expressed_as == "以Pb计"


def test_distinct_analytes_stay_distinct():
    assert analyte_key("总砷（以As计）") != analyte_key("无机砷（以As计）")
    assert analyte_key("硝酸盐") != analyte_key("亚硝酸盐")


@pytest.mark.parametrize("bad", ["", "   ", None, "（以Pb计）"])
def test_empty_names_refused(bad):
    with pytest.raises(ValueError):
        split_analyte_name(bad)
