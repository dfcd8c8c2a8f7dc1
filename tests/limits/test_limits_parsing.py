"""Limits and results as standards, bulletins and reports write them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lims.limits.parsing import ParseError, parse_limit, parse_number, parse_result, parse_results


@pytest.mark.parametrize(
    ("text", "kind", "value", "unit"),
    [
        ("≤0.05mg/kg", "max", "0.05", "mg/kg"),
        ("≤5 mg/kg", "max", "5", "mg/kg"),
        ("＜0.05mg/kg", "max", "0.05", "mg/kg"),
        ("<=0.05 mg/kg", "max", "0.05", "mg/kg"),
        ("0.2", "max", "0.2", None),
        ("≥96%", "min", "96", "%"),
        ("≧96％", "min", "96", "%"),
        ("≤1.0×10⁴CFU/g", "max", "1.0E+4", "CFU/g"),
        ("1.0(干重计)", "max", "1.0", None),
        ("0.1 mg/L(以NO2-计)", "max", "0.1", "mg/L"),
        ("不得检出", "not_detected", None, None),
        ("不得使用", "not_permitted", None, None),
    ],
)
def test_limits(text: str, kind: str, value: str | None, unit: str | None) -> None:
    spec = parse_limit(text)
    assert spec.kind == kind
    assert spec.value == (Decimal(value) if value else None)
    assert (spec.unit.symbol if spec.unit else None) == unit


def test_ranges_and_tolerances() -> None:
    spec = parse_limit("13.5~15.5%vol")
    assert (spec.kind, spec.low, spec.high, spec.unit.symbol) == (
        "range",
        Decimal("13.5"),
        Decimal("15.5"),
        "%vol",
    )
    spec = parse_limit("18.0±1.0%vol")
    assert (spec.low, spec.high, spec.tolerance) == (
        Decimal("17.0"),
        Decimal("19.0"),
        Decimal("1.0"),
    )
    spec = parse_limit("≤18.0±1.0%vol")
    assert (spec.kind, spec.value, spec.tolerance) == ("max", Decimal("18.0"), Decimal("1.0"))
    assert parse_limit("13.5～15.5%vol").high == Decimal("15.5")


def test_plans() -> None:
    plan = parse_limit("n=5,c=2,m=10,M=100CFU/g").plan
    assert (plan.n, plan.c, plan.m, plan.M, plan.unit.symbol) == (5, 2, 10, 100, "CFU/g")
    plan = parse_limit("n=5，c=0，m=0/25g").plan
    assert (plan.n, plan.c, plan.m, plan.M, plan.unit.symbol) == (5, 0, 0, None, "/25g")
    plan = parse_limit("n=5,c=1,m=10⁴,M=10⁵CFU/g").plan
    assert (plan.m, plan.M) == (Decimal(10000), Decimal(100000))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "为空"), ("abc", "abc"), ("≤abc mg/kg", "abc"), ("0.05 furlongs", "furlongs"),
        ("5~3mg/kg", "下限大于上限"), ("n=5,c=7,m=1CFU/g", "n、c"), ("n=5,m=1CFU/g", "缺少 c"),
        ("n=5,c=1,m=100,M=10CFU/g", "M 小于 m"), ("n=5,c=1,m=10", "缺少单位"), ("-1mg/kg", "负数"),
    ],
)  # fmt: skip
def test_bad_limits_name_the_text(text: str, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_limit(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "value", "unit", "qualifier", "nd"),
    [
        ("0.0926g/kg", "0.0926", "g/kg", "=", False),
        ("287µg/kg", "287", "µg/kg", "=", False),
        ("287 μg/kg", "287", "µg/kg", "=", False),
        ("<0.01 mg/kg", "0.01", "mg/kg", "<", False),
        ("＜0.01mg/kg", "0.01", "mg/kg", "<", False),
        ("1.2×10⁴ CFU/g", "1.2E+4", "CFU/g", "=", False),
        ("1.2x10^4CFU/g", "1.2E+4", "CFU/g", "=", False),
        ("1.2e4 CFU/g", "1.2E+4", "CFU/g", "=", False),
        ("１.５mg/kg", "1.5", "mg/kg", "=", False),
        ("未检出", None, None, "=", True),
        ("ND", None, None, "=", True),
        ("未检出/25g", "0", "/25g", "=", True),
    ],
)
def test_results(text: str, value: str | None, unit: str | None, qualifier: str, nd: bool) -> None:
    result = parse_result(text)
    assert result.value == (Decimal(value) if value is not None else None)
    assert (result.unit.symbol if result.unit else None) == unit
    assert result.qualifier == qualifier
    assert result.not_detected is nd


def test_result_with_lod_and_detected() -> None:
    result = parse_result("未检出（检出限0.5μg/kg）")
    assert result.not_detected and result.lod == Decimal("0.5") and result.unit.symbol == "µg/kg"
    result = parse_result("未检出(<0.01mg/kg)")
    assert result.lod == Decimal("0.01")
    assert parse_result("检出").detected
    assert parse_result("0.03", default_unit="mg/kg").unit.symbol == "mg/kg"


def test_result_lists_for_plans() -> None:
    results = parse_results("＜10，15，10，＜10，390CFU/g")
    assert [r.display() for r in results] == [
        "<10CFU/g",
        "15CFU/g",
        "10CFU/g",
        "<10CFU/g",
        "390CFU/g",
    ]
    with pytest.raises(ParseError, match="单位不一致"):
        parse_results("10CFU/g,20CFU/mL")


@pytest.mark.parametrize("text", ["", "abc", "0.05 furlongs", "-1mg/kg", "未检出 xyz", "1..2mg/kg"])
def test_bad_results(text: str) -> None:
    with pytest.raises(ParseError):
        parse_result(text)


def test_numbers() -> None:
    assert parse_number("10⁵") == Decimal(100000)
    assert parse_number("1.0×10⁻³") == Decimal("0.0010")
    with pytest.raises(ParseError):
        parse_number("ten")
