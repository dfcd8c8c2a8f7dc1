"""Units of food testing: one registry, exact Decimal conversion, kinds kept apart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lims.limits import units
from lims.limits.units import UnitError, conversion_factor, convert, parse_unit, same_kind

MASS_FRACTION = [
    "mg/kg",
    "µg/kg",
    "μg/kg",
    "ug/kg",
    "g/kg",
    "ng/kg",
    "mg/g",
    "g/100g",
    "mg/100g",
    "%",
    "ppm",
    "ppb",
]
CONCENTRATION = ["mg/L", "µg/L", "g/L", "mg/mL", "g/100mL", "mg/100mL"]
OTHERS = ["%vol", "CFU/g", "CFU/mL", "MPN/g", "MPN/100mL", "/25g", "/25mL", "mg/100cm²"]


@pytest.mark.parametrize("text", MASS_FRACTION + CONCENTRATION + OTHERS)
def test_parse_known_units(text: str) -> None:
    assert parse_unit(text).symbol


@pytest.mark.parametrize(
    "text", ["µg/kg", "μg/kg", "ug/kg", "ＵＧ／ＫＧ", " µg / kg ", "微克/千克"]
)
def test_micro_spellings_agree(text: str) -> None:
    assert parse_unit(text) == parse_unit("µg/kg")


def test_exact_factors() -> None:
    assert convert(Decimal("287"), "µg/kg", "mg/kg") == Decimal("0.287")
    assert convert(Decimal("0.0926"), "g/kg", "mg/kg") == Decimal("92.6")
    assert convert(Decimal("1.5"), "g/100g", "%") == Decimal("1.5")
    assert convert(Decimal("1"), "ppb", "µg/kg") == Decimal("1")
    assert convert(Decimal("3"), "MPN/100mL", "MPN/mL") == Decimal("0.03")
    assert convert(Decimal("2"), "mg/100cm²", "mg/dm²") == Decimal("2")


@pytest.mark.parametrize(
    ("a", "b"),
    [("mg/L", "mg/kg"), ("%vol", "%"), ("%vol", "mg/kg"), ("CFU/g", "mg/kg"), ("CFU/g", "CFU/mL"),
     ("MPN/g", "CFU/g"), ("/25g", "CFU/g"), ("mg/100cm²", "mg/kg")],
)  # fmt: skip
def test_incompatible_units_are_clear_errors(a: str, b: str) -> None:
    assert not same_kind(a, b)
    with pytest.raises(UnitError, match="不兼容"):
        convert(Decimal(1), a, b)


def test_concentration_needs_density() -> None:
    with pytest.raises(UnitError, match="密度"):
        convert(Decimal(1), "mg/L", "mg/kg")
    assert convert(Decimal("1.5"), "mg/L", "mg/kg", density=Decimal("1.5")) == Decimal(1)
    assert convert(Decimal("1"), "mg/kg", "mg/L", density=Decimal("1.5")) == Decimal("1.5")
    with pytest.raises(UnitError):
        convert(Decimal(1), "mg/L", "mg/kg", density=Decimal(0))
    with pytest.raises(UnitError):  # density bridges only these two kinds
        convert(Decimal(1), "%vol", "%", density=Decimal(1))


@pytest.mark.parametrize("text", ["ppt", "kg", "furlong", "", "mg/", "CFU"])
def test_unknown_or_ambiguous_units(text: str) -> None:
    with pytest.raises(UnitError):
        parse_unit(text)


def test_ppt_is_refused_with_reason() -> None:
    with pytest.raises(UnitError, match="不明确"):
        parse_unit("ppt")


@settings(max_examples=300, deadline=None)
@given(
    value=st.decimals(min_value=Decimal("0"), max_value=Decimal("1e9"), allow_nan=False, places=6),
    pair=st.sampled_from(
        [(a, b) for group in (MASS_FRACTION, CONCENTRATION) for a in group for b in group]
        + [("MPN/100mL", "MPN/mL"), ("mg/100cm²", "mg/dm²"), ("CFU/g", "CFU/g")]
    ),
)
def test_round_trip_is_exact(value: Decimal, pair: tuple[str, str]) -> None:
    a, b = pair
    assert convert(convert(value, a, b), b, a) == value


@settings(max_examples=100, deadline=None)
@given(
    a=st.sampled_from(MASS_FRACTION),
    b=st.sampled_from(MASS_FRACTION),
    c=st.sampled_from(MASS_FRACTION),
)
def test_factors_compose(a: str, b: str, c: str) -> None:
    assert conversion_factor(a, b) * conversion_factor(b, c) == conversion_factor(a, c)


def test_one_registry_and_cached_factors(monkeypatch: pytest.MonkeyPatch) -> None:
    from lims.limits import units as again

    assert again.ureg is units.ureg
    convert(Decimal(1), "µg/kg", "mg/kg")

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pint Quantity was built for a cached pair")

    monkeypatch.setattr(units.ureg, "Quantity", boom)
    assert convert(Decimal("5"), "µg/kg", "mg/kg") == Decimal("0.005")


def test_definitions_are_data() -> None:
    from importlib import resources

    text = resources.files("lims.limits").joinpath("units.txt").read_text(encoding="utf-8")
    assert "ppb" in text and "colony_forming_unit" in text and "percent_volume" in text


def test_static_table_agrees_with_pint() -> None:
    """Every unit of the alias table has its kind and factor in the static table, and pint
    (built from units.txt) agrees with each: the static table is what judgement uses."""
    expressions = {expression for _, expression in units._ALIASES.values()}
    assert expressions == set(units._STATIC)
    by_kind: dict[str, list[str]] = {}
    for expression, (kind, _) in units._STATIC.items():
        assert units._pint_kind_of(expression) == kind, expression
        by_kind.setdefault(kind, []).append(expression)
    for expressions_of_kind in by_kind.values():
        for a in expressions_of_kind:
            for b in expressions_of_kind:
                assert units._factor(a, b) == units._pint_factor(a, b), (a, b)


def test_judging_in_known_units_does_not_build_pint() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from lims.limits.checking import judge_text;"
        "v = judge_text('287µg/kg', '≤0.5mg/kg').verdict;"
        "print(v, 'pint' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.stdout.split() == ["pass", "False"], done.stderr


def test_per_energy_and_ratio_units() -> None:
    # 400 µg/100kJ = 0.4 mg/100kJ
    assert convert(Decimal("400"), "µg/100kJ", "mg/100kJ") == Decimal("0.4")
    assert not same_kind("mg/100kJ", "mg/kg") and not same_kind("比值", "%")
    assert parse_unit("比值").symbol == "" and parse_unit("ratio").kind == "ratio"
    with pytest.raises(UnitError):
        convert(Decimal(1), "比值", "mg/kg")
