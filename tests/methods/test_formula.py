"""The formula evaluator: exact arithmetic, and refusal of anything but arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lims.methods.formula import FormulaError, FormulaEvaluationError, compile_formula

D = Decimal


def ev(source: str, **values: str) -> Decimal:
    formula = compile_formula(source, values.keys())
    return formula.evaluate({k: D(v) for k, v in values.items()})


def test_exact_decimal_arithmetic() -> None:
    assert ev("a + b", a="0.1", b="0.2") == D("0.3")
    # 0.032 must be read as written, not as the nearest binary float.
    assert compile_formula("0.032 * 1000", []).evaluate({}) == D("32.000")


def test_lead_worked_example() -> None:
    result = ev("(rho - rho0) * V / (m * 1000)", rho="12.5", rho0="0.5", V="10", m="0.5")
    assert result == D("0.24")


def test_precedence_unary_power_and_functions() -> None:
    assert ev("-a ** 2", a="3") == D("-9")
    assert ev("2 * 10 ** -2 + a", a="1") == D("1.02")
    assert ev("max(a, b) - min(a, b) + abs(-a)", a="2", b="5") == D("5")
    assert ev("+a", a="4") == D("4")


def test_substitute_shows_values_and_negative_parentheses() -> None:
    formula = compile_formula("a - b", ["a", "b"])
    assert formula.substitute({"a": D("1.0"), "b": D("-0.5")}) == "1.0 - (-0.5)"


def test_names_used_are_recorded() -> None:
    formula = compile_formula("x * 2", ["x", "y"])
    assert formula.names == frozenset({"x"})


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("__import__('os')", "__import__"),
        ("os.system('rm -rf /')", "调用此对象"),
        ("a.__class__", "属性访问"),
        ("a[0]", "下标访问"),
        ("(lambda: 1)()", "调用此对象"),
        ("lambda: 1", "lambda"),
        ("[a for a in b]", "推导式"),
        ("'text'", "字符串"),
        ("a < 1", "比较运算"),
        ("a and 1", "逻辑运算"),
        ("1 if a else 2", "条件表达式"),
        ("a // 2", "此运算符"),
        ("a % 2", "此运算符"),
        ("~a", "此一元运算符"),
        ("open('x')", "调用函数 open"),
        ("max(a, key=abs)", "关键字参数"),
        ("abs(a, a)", "函数 abs 接收 2 个参数"),
        ("max", "把函数 max 当作数值使用"),
        ("10**10**10", "超出允许范围"),
        ("a ** 0.5", "必须是整数"),
        ("a ** 13", "超出允许范围"),
        ("1 / 0", "除数为零"),
        ("1j", "常量"),
        ("True", "常量"),
        ("(a := 1)", "赋值表达式"),
        ("a, 1", "元组"),
    ],
)
def test_refused_at_load_time(source: str, fragment: str) -> None:
    with pytest.raises(FormulaError) as info:
        compile_formula(source, ["a", "b"])
    assert fragment in str(info.value)


def test_undeclared_name_is_refused_with_declared_list() -> None:
    with pytest.raises(FormulaError, match="未声明的变量 z.*a、b"):
        compile_formula("a + z", ["a", "b"])


@pytest.mark.parametrize("name", ["_x", "class", "max", "1a", "ρ", ""])
def test_bad_declared_names(name: str) -> None:
    with pytest.raises(FormulaError, match="变量名"):
        compile_formula("1", [name])


def test_syntax_errors_and_limits() -> None:
    with pytest.raises(FormulaError, match="语法错误"):
        compile_formula("a +", ["a"])
    with pytest.raises(FormulaError, match="公式为空"):
        compile_formula("  ", [])
    with pytest.raises(FormulaError, match="过长"):
        compile_formula("a + " * 200 + "a", ["a"])
    with pytest.raises(FormulaError, match="嵌套过深"):
        compile_formula("(" * 60 + "a" + ")" * 60 + " + -" * 50 + "a", ["a"])


def test_statements_are_not_expressions() -> None:
    with pytest.raises(FormulaError, match="语法错误"):
        compile_formula("import os", [])


def test_runtime_division_by_zero_names_the_divisor() -> None:
    formula = compile_formula("a / m", ["a", "m"])
    with pytest.raises(FormulaEvaluationError, match="除数为零（m = 0）"):
        formula.evaluate({"a": D(1), "m": D(0)})


def test_runtime_exponent_checks() -> None:
    formula = compile_formula("10 ** n", ["n"])
    assert formula.evaluate({"n": D(-3)}) == D("0.001")
    with pytest.raises(FormulaEvaluationError, match="超出允许范围"):
        formula.evaluate({"n": D(100)})
    with pytest.raises(FormulaEvaluationError, match="必须是整数"):
        formula.evaluate({"n": D("0.5")})
    with pytest.raises(FormulaEvaluationError, match="负次幂"):
        compile_formula("a ** -1", ["a"]).evaluate({"a": D(0)})


def test_overflow_is_reported() -> None:
    formula = compile_formula("a ** 12", ["a"])
    with pytest.raises(FormulaEvaluationError, match="超出可表示的范围"):
        formula.evaluate({"a": D("1E+900000")})


def test_missing_and_non_decimal_values() -> None:
    formula = compile_formula("a * b", ["a", "b"])
    with pytest.raises(FormulaEvaluationError, match="缺少公式变量 b"):
        formula.evaluate({"a": D(1)})
    with pytest.raises(FormulaEvaluationError, match="须为 Decimal"):
        formula.evaluate({"a": D(1), "b": 0.5})  # type: ignore[dict-item]
    with pytest.raises(FormulaEvaluationError, match="不是有限数"):
        formula.evaluate({"a": D(1), "b": D("NaN")})


def test_negative_zero_is_normalised() -> None:
    assert str(ev("-a", a="0")) == "0"
