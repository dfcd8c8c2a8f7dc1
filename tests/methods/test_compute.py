"""Method.compute: worked examples, reporting rules, LOD/LOQ flags and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lims.methods.loader import load_method_file, load_methods
from lims.methods.method import MethodInputError

D = Decimal


@pytest.fixture(scope="module")
def methods() -> dict:
    return load_methods()


def test_lead_gfaas_example(methods: dict) -> None:
    result = methods["GB5009.12-2023-GFAAS"].compute(
        {"rho": "12.5", "rho0": "0.5", "V": "10", "m": "0.5000"}
    )
    assert result.value_full == D("0.24")
    assert result.value_reported == "0.24"
    assert result.unit == "mg/kg"
    assert not result.below_lod and not result.below_loq
    assert result.steps[1] == "X = (12.5 - 0.5) * 10 / (0.5000 * 1000)"
    assert not result.limits_verified  # the 2017 LOD rows are marked unverified


def test_lead_three_significant_digits_from_one(methods: dict) -> None:
    method = methods["GB5009.12-2023-GFAAS"]
    # (62.35 - 0) * 10 / (0.5 * 1000) = 1.247 -> three significant digits -> 1.25
    assert method.compute({"rho": "62.35", "rho0": "0", "V": "10", "m": "0.5"}).value_reported == (
        "1.25"
    )
    # 0.125 exactly -> two significant figures, half to even -> 0.12 (not 0.13)
    result = method.compute({"rho": "6.25", "rho0": "0", "V": "10", "m": "0.5"})
    assert result.value_full == D("0.125")
    assert result.value_reported == "0.12"


def test_below_lod_and_loq(methods: dict) -> None:
    method = methods["GB5009.12-2023-GFAAS"]
    below_lod = method.compute({"rho": "0.9", "rho0": "0.5", "V": "10", "m": "0.5"})
    assert below_lod.value_full == D("0.008")
    assert below_lod.below_lod and below_lod.below_loq
    assert below_lod.report_text == "未检出"
    assert below_lod.lod == D("0.02")
    between = method.compute({"rho": "2.0", "rho0": "0.5", "V": "10", "m": "0.5"})
    assert between.value_full == D("0.03")
    assert not between.below_lod and between.below_loq
    assert between.report_text == "0.030"


def test_liquid_sample_alternative_unit(methods: dict) -> None:
    method = methods["GB5009.12-2023-GFAAS"]
    result = method.compute({"rho": "12.5", "rho0": "0.5", "V": "10", "m": "0.5"}, unit="mg/L")
    assert result.unit == "mg/L" and result.lod == D("0.02")
    with pytest.raises(MethodInputError, match="结果单位只能是 mg/kg、mg/L"):
        method.compute({"rho": "1", "rho0": "0", "V": "10", "m": "0.5"}, unit="g/kg")


def test_mercury_afs(methods: dict) -> None:
    # 2.4 µg/L in 25 mL from 0.5 g: 2.4*25*1000/(0.5*1e6) = 0.12 mg/kg
    result = methods["GB5009.17-2021-AFS"].compute(
        {"rho": "2.45", "rho0": "0.05", "V": "25", "m": "0.5"}
    )
    assert result.value_full == D("0.12")
    assert result.value_reported == "0.12"


def test_inorganic_arsenic_sums_species(methods: dict) -> None:
    method = methods["GB5009.11-2024-INORG-LCICPMS"]
    result = method.compute({"c3": "4.0", "c5": "3.5", "c30": "0.1", "V": "20", "m": "1.0"})
    # ((4.0-0.1)+(3.5-0)) * 20 / 1000 = 0.148 -> 0.15
    assert result.value_full == D("0.148")
    assert result.value_reported == "0.15"


def test_multi_element_per_analyte_limits(methods: dict) -> None:
    method = methods["GB5009.268-2016-ICPMS"]
    inputs = {"rho": "0.015", "rho0": "0", "V": "50", "m": "0.5", "f": "1"}
    cd = method.compute(inputs, analyte="镉（以Cd计）")
    pb = method.compute(inputs, analyte="铅(以Pb计)")
    assert cd.value_full == pb.value_full == D("0.0015")
    assert cd.lod == D("0.002") and cd.below_lod
    assert pb.lod == D("0.02") and pb.below_lod
    with pytest.raises(MethodInputError, match="不测定 氯霉素"):
        method.compute(inputs, analyte="氯霉素")


def test_nitrite_conversion_to_sodium_nitrite(methods: dict) -> None:
    result = methods["GB5009.33-2016-IC-NITRITE"].compute(
        {"rho": "0.050", "rho0": "0.002", "V": "100", "m": "10"}
    )
    # (0.050-0.002)*100*1*1000/(10*1000) * 1.5 = 0.72 mg/kg
    assert result.value_full == D("0.72")
    assert "1.5" in result.steps[1]


def test_nitrite_spectrophotometric(methods: dict) -> None:
    result = methods["GB5009.33-2016-SPEC-NITRITE"].compute(
        {"m2": "2.0", "m3": "5.0", "V1": "40", "V0": "200"}
    )
    # 2.0*1000/(5.0*40/200*1000) = 2.0 mg/kg
    assert result.value_full == D("2")
    assert result.value_reported == "2.0"


def test_preservatives_g_per_kg(methods: dict) -> None:
    result = methods["GB5009.28-2016-HPLC"].compute({"rho": "12.34", "V": "50", "m": "2.0"})
    assert result.value_full == D("0.3085")
    assert result.value_reported == "0.308"  # half to even on the 4th digit 5
    assert result.unit == "g/kg"


def test_sulfur_dioxide_titration(methods: dict) -> None:
    result = methods["GB5009.34-2022-TITRATION"].compute(
        {"V": "2.50", "V0": "0.10", "c": "0.01", "m": "10.0"}
    )
    # 2.40 * 0.01 * 0.032 * 1000 / 10 = 0.0768 g/kg
    assert result.value_full == D("0.0768")
    assert result.value_reported == "0.077"
    assert result.lod is None and not result.below_lod


def test_aflatoxin(methods: dict) -> None:
    result = methods["GB5009.22-2016-IDLCMSMS"].compute(
        {"rho": "1.20", "V1": "20", "V3": "1.0", "V2": "4.0", "m": "5.0"}
    )
    assert result.value_full == D("1.2")
    assert result.value_reported == "1.20"
    assert result.unit == "µg/kg"


def test_pesticide_multi_residue(methods: dict) -> None:
    method = methods["GB23200.113-2018-GCMSMS"]
    result = method.compute({"rho": "0.0123", "V": "10", "m": "10.00"}, analyte="毒死蜱")
    assert result.value_full == D("0.0123")
    assert result.value_reported == "0.012"
    assert result.loq == D("0.01") and not result.below_loq
    low = method.compute({"rho": "0.005", "V": "10", "m": "10"}, analyte="毒死蜱")
    assert low.below_loq and not low.below_lod  # no LOD recorded: never claims 未检出


def test_enzyme_inhibition_qualitative(methods: dict) -> None:
    method = methods["GB/T5009.199-2003-ENZYME"]
    positive = method.compute({"dA0": "0.400", "dAt": "0.180"})
    assert positive.value_full == D("55.00") and positive.value_reported == "55.0"
    assert positive.qualitative == "阳性"
    border = method.compute({"dA0": "0.400", "dAt": "0.200"})
    assert border.value_full == D("50.0") and border.qualitative == "阳性"
    negative = method.compute({"dA0": "0.400", "dAt": "0.390"})
    assert negative.value_reported == "2.5" and negative.qualitative == "阴性"


def test_aerobic_plate_count_standard_example(methods: dict) -> None:
    method = methods["GB4789.2-2022-APC"]
    # GB 4789.2 example: 10^-2 plates 232, 244; 10^-3 plates 33, 35 -> 24 727 -> 25 000
    result = method.compute({"sumC": "544", "n1": "2", "n2": "2", "d": "0.01"})
    assert result.value_full.quantize(D("0.001")) == D("24727.273")
    assert result.value_reported == "25000"
    assert result.unit == "CFU/g"


def test_plate_count_uses_half_up_as_prescribed(methods: dict) -> None:
    method = methods["GB4789.2-2022-APC"]
    # one dilution (n2 = 0): mean of 125 and 125 at 10^0 -> 125 -> 四舍五入 -> 130
    assert method.compute({"sumC": "250", "n1": "2", "d": "1"}).value_reported == "130"
    # below 100 CFU: integer, half up: 42.5 -> 43
    assert method.compute({"sumC": "85", "n1": "2", "d": "1"}).value_reported == "43"
    # 99.6 rounds to 100 as an integer below the 100 threshold
    assert method.compute({"sumC": "498", "n1": "5", "d": "1"}).value_reported == "100"


def test_coliform_plate_count_standard_example(methods: dict) -> None:
    result = methods["GB4789.3-2016-PLATE"].compute(
        {"A": "100", "B": "6", "C": "10", "d": "0.0001"}
    )
    assert result.value_full == D("600000")
    assert result.value_reported == "600000"


# --- bad input -----------------------------------------------------------------------


def test_missing_required_input_names_label(methods: dict) -> None:
    with pytest.raises(MethodInputError, match="缺少必填项：试样称样量或移取体积（m）"):
        methods["GB5009.12-2023-GFAAS"].compute({"rho": "1", "rho0": "0", "V": "10"})
    with pytest.raises(MethodInputError, match="缺少必填项"):
        methods["GB5009.12-2023-GFAAS"].compute({"rho": "1", "rho0": "0", "V": "10", "m": " "})


def test_non_numeric_input(methods: dict) -> None:
    with pytest.raises(MethodInputError, match=r"试样消化液定容体积（V） 不是有效数值：'十'"):
        methods["GB5009.12-2023-GFAAS"].compute({"rho": "1", "rho0": "0", "V": "十", "m": "1"})
    with pytest.raises(MethodInputError, match="不是有效数值"):
        methods["GB5009.12-2023-GFAAS"].compute({"rho": 1.5, "rho0": "0", "V": "1", "m": "1"})


def test_full_width_digits_are_accepted(methods: dict) -> None:
    result = methods["GB5009.12-2023-GFAAS"].compute(
        {"rho": "１２.５", "rho0": "0.5", "V": "10", "m": D("0.5")}
    )
    assert result.value_full == D("0.24")


def test_out_of_bounds_and_unknown_inputs(methods: dict) -> None:
    method = methods["GB5009.12-2023-GFAAS"]
    with pytest.raises(MethodInputError, match=r"m\） = 0 g 低于合理下限 0.01 g"):
        method.compute({"rho": "1", "rho0": "0", "V": "10", "m": "0"})
    with pytest.raises(MethodInputError, match="超过合理上限"):
        method.compute({"rho": "1", "rho0": "0", "V": "10", "m": "5000"})
    with pytest.raises(MethodInputError, match="没有输入项：x"):
        method.compute({"rho": "1", "rho0": "0", "V": "10", "m": "1", "x": "1"})


UNBOUNDED = """
[standard]
number = "GB 1.1"
year = 2020
title_zh = "测试"
title_en = "test"

[[methods]]
code = "T-U"
technique = "测试"
technique_en = "test"
scope = "测试"
citation = "式(1)"
analytes = ["测试物"]
formula = "a / (m - b)"
result_unit = "mg/kg"

[[methods.inputs]]
name = "a"
label_zh = "量"
label_en = "amount"
unit = "mg"
source = "reader"

[[methods.inputs]]
name = "m"
label_zh = "质量"
label_en = "mass"
unit = "kg"
source = "balance"

[[methods.inputs]]
name = "b"
label_zh = "皮重"
label_en = "tare"
unit = "kg"
source = "balance"

[[methods.limits]]
unit = "mg/kg"
lod = "0.5"
loq = "1.0"
verified = true

[methods.uncertainty]
relative_percent = "12"
k = 2

[methods.reporting]
rule_zh = "保留两位小数"
[[methods.reporting.rules]]
decimals = 2
"""


def test_division_by_zero_message() -> None:
    (method,) = load_method_file("t.toml", text=UNBOUNDED)
    with pytest.raises(MethodInputError, match="T-U 计算失败：计算时除数为零"):
        method.compute({"a": "1", "m": "2", "b": "2"})


def test_expanded_uncertainty_matches_result_digits() -> None:
    (method,) = load_method_file("t.toml", text=UNBOUNDED)
    result = method.compute({"a": "3.333", "m": "1", "b": "0"})
    assert result.value_reported == "3.33"
    assert result.expanded_uncertainty == "0.40"  # 3.333 * 12 % = 0.39996
    assert result.limits_verified
    below = method.compute({"a": "0.1", "m": "1", "b": "0"})
    assert below.below_lod and below.expanded_uncertainty is None
