"""Every shipped method file loads, and every formula evaluates on sample inputs."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from lims.foods.analytes import analyte_key
from lims.methods.loader import (
    MethodFileError,
    data_files,
    find_method,
    find_methods,
    load_method_file,
    load_methods,
    methods_for_analyte,
    normalise_standard_number,
)
from lims.methods.method import Method

FILES = data_files()
REQUIRED_STANDARDS = {
    "GB 5009.12-2023", "GB 5009.15-2023", "GB 5009.11-2024", "GB 5009.17-2021",
    "GB 5009.268-2016", "GB 23200.113-2018", "GB 23200.121-2021", "GB/T 5009.199-2003",
    "GB 5009.33-2016", "GB 5009.28-2016", "GB 5009.34-2022", "GB 4789.2-2022",
    "GB 4789.3-2016", "GB 5009.22-2016", "GB 31658.17-2021", "GB 31658.2-2021",
    "GB 31658.22-2022", "GB 23200.8-2016", "GB 23200.19-2016",
}  # fmt: skip


def sample_inputs(method: Method) -> dict[str, str]:
    """A plausible value inside each input's bounds (midpoint, or min + 1)."""
    values = {}
    for spec in method.inputs:
        low = spec.minimum if spec.minimum is not None else Decimal(0)
        high = spec.maximum if spec.maximum is not None else low + 10
        values[spec.name] = str((low + high) / 2)
    return values


def test_there_are_method_files() -> None:
    assert len(FILES) >= len(REQUIRED_STANDARDS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_loads_and_evaluates(path: Path) -> None:
    methods = load_method_file(path)
    assert methods
    for method in methods:
        # File names follow the standard: gb_5009_12_2023.toml, gb_t_5009_199_2003.toml.
        expected = method.standard.designation.lower().replace("/", "_").replace(" ", "_")
        assert path.stem == expected.replace(".", "_").replace("-", "_")
        result = method.compute(sample_inputs(method))
        assert isinstance(result.value_full, Decimal)
        assert result.value_full.is_finite()
        assert result.value_reported
        assert len(result.steps) == 4
        assert result.unit == method.result_unit
        for analyte in method.analytes:
            assert analyte.key == analyte_key(analyte.name)


def test_required_standards_are_present() -> None:
    designations = {m.standard.designation for m in load_methods().values()}
    assert REQUIRED_STANDARDS <= designations


def test_codes_are_unique_and_cached() -> None:
    first = load_methods()
    codes = [m.code for p in FILES for m in load_method_file(p)]
    assert len(codes) == len(set(codes)) == len(first)
    assert load_methods() == first
    assert load_methods() is not first  # callers may not mutate the cache


def test_no_toml_floats_in_files() -> None:
    # Values must be strings; a float slipping into an ignored place would still be wrong.
    def walk(node: object) -> None:
        assert not isinstance(node, float), node
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in FILES:
        walk(tomllib.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "query, code",
    [
        ("GB 5009.12-2023", "GB5009.12-2023-GFAAS"),
        ("GB 5009.12", "GB5009.12-2023-GFAAS"),
        ("GB5009.12—2023", "GB5009.12-2023-GFAAS"),
        ("ＧＢ 5009.12", "GB5009.12-2023-GFAAS"),
        ("GB 5009.12-2023 第二法", "GB5009.12-2023-ICPMS"),
        ("GB 5009.12（方法二）", "GB5009.12-2023-ICPMS"),
        ("GB/T 5009.199-2003", "GB/T5009.199-2003-ENZYME"),
        ("GB 5009.199", "GB/T5009.199-2003-ENZYME"),
        ("GB 4789.2", "GB4789.2-2022-APC"),
    ],
)
def test_find_method_is_tolerant(query: str, code: str) -> None:
    assert find_method(query).code == code


def test_find_method_by_analyte_and_errors() -> None:
    assert find_method("GB 5009.11", analyte="无机砷（以As计）").code == (
        "GB5009.11-2024-INORG-LCICPMS"
    )
    with pytest.raises(LookupError, match="GB 5009.12-2017"):
        find_method("GB 5009.12-2017")
    with pytest.raises(LookupError, match="没有找到"):
        find_method("GB 9999.1")
    assert [m.code for m in find_methods("GB 5009.33")][:2] == [
        "GB5009.33-2016-IC-NITRITE",
        "GB5009.33-2016-IC-NITRATE",
    ]


def test_normalise_standard_number() -> None:
    assert normalise_standard_number(" gb/t5009.199－2003 ") == ("GB/T 5009.199", 2003, "")
    assert normalise_standard_number("GB 4789.3 (第二法)") == ("GB 4789.3", None, "第二法")


def test_methods_for_analyte_matches_sampling_rule_spellings() -> None:
    lead = {m.code for m in methods_for_analyte("铅（以Pb计）")}
    assert {"GB5009.12-2023-GFAAS", "GB5009.12-2023-ICPMS", "GB5009.268-2016-ICPMS"} <= lead
    assert {m.code for m in methods_for_analyte("毒死蜱")} == {
        "GB23200.8-2016-GCMS",
        "GB23200.113-2018-GCMSMS",
        "GB23200.121-2021-LCMSMS",
    }
    assert methods_for_analyte("不存在的物质") == []


# --- validation errors name the file and the field ----------------------------------

GOOD = """
[standard]
number = "GB 1.1"
year = 2020
title_zh = "测试"
title_en = "test"

[[methods]]
code = "T-1"
technique = "称量"
technique_en = "weighing"
scope = "测试"
citation = "式(1)"
analytes = ["铅(以Pb计)"]
formula = "a / m"
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
min = "0.001"

[methods.reporting]
rule_zh = "保留两位有效数字"
[[methods.reporting.rules]]
significant = 2
"""


def load(text: str) -> list[Method]:
    return load_method_file("t.toml", text=text)


def test_good_minimal_file() -> None:
    (method,) = load(GOOD)
    assert method.compute({"a": "1", "m": "0.5"}).value_reported == "2.0"


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('formula = "a / m"', 'formula = "a / m / q"', "methods[0].formula 公式"),
        ('formula = "a / m"', 'formula = "a"', "未使用已声明的输入或常量：m"),
        ('formula = "a / m"', 'formula = "__import__(1)"', "methods[0].formula"),
        ('source = "reader"', 'source = "eyes"', "methods[0].inputs[0].source"),
        ('unit = "mg"', 'unit = "furlong"', "methods[0].inputs[0].unit 未知单位"),
        ('min = "0.001"', "min = 0.001", "请把数值写成字符串"),
        ('min = "0.001"', 'min = "abc"', "inputs[1].min 不是数值"),
        ('code = "T-1"', 'code = "T 1"', "methods[0].code"),
        ("year = 2020", "year = 20", "standard.year 年份不合理"),
        ('number = "GB 1.1"', 'number = "GB 1.1-2020"', "standard.number"),
        ('result_unit = "mg/kg"', 'result_unit = "mg/kgg"', "result_unit 未知单位"),
        ("significant = 2", "significant = 2\ndecimals = 1", "须且只须"),
        ('scope = "测试"', 'scope = "测试"\nscopes = 1', "含未知字段 scopes"),
        ('analytes = ["铅(以Pb计)"]', "analytes = []", "至少需要一个分析物"),
        ('analytes = ["铅(以Pb计)"]', 'analytes = ["铅", "铅（以Pb计）"]', "分析物重复"),
        ('title_en = "test"', 'title_en = "test"\n[x', "TOML 语法错误"),
    ],
)
def test_file_errors_name_the_field(old: str, new: str, message: str) -> None:
    assert old in GOOD
    with pytest.raises(MethodFileError) as info:
        load(GOOD.replace(old, new, 1))
    assert str(info.value).startswith("t.toml")
    assert message in str(info.value)


def test_limit_rows_are_checked() -> None:
    base = GOOD + '\n[[methods.limits]]\nunit = "{unit}"\nlod = "{lod}"\nloq = "{loq}"\n'
    with pytest.raises(MethodFileError, match="不是方法的结果单位"):
        load(base.format(unit="g/kg", lod="1", loq="2"))
    with pytest.raises(MethodFileError, match="检出限 2 大于定量限 1"):
        load(base.format(unit="mg/kg", lod="2", loq="1"))


def test_optional_input_needs_default() -> None:
    text = GOOD.replace('source = "reader"', 'source = "reader"\nrequired = false', 1)
    with pytest.raises(MethodFileError, match="可选输入 a 必须给出 default"):
        load(text)


def test_reporting_rules_order_and_fallback() -> None:
    two = 'at_least = "1"\nsignificant = 3\n[[methods.reporting.rules]]\nsignificant = 2'
    assert load(GOOD.replace("significant = 2", two))
    with pytest.raises(MethodFileError, match="最后一条规则不得有 at_least"):
        load(GOOD.replace("significant = 2", 'at_least = "1"\nsignificant = 2'))
