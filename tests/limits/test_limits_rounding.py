"""GB/T 8170-2008 rounding: examples from the standard and property tests against a
reference built on decimal.ROUND_HALF_EVEN."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lims.limits.rounding import RoundingError, decimal_places, format_decimal, round_gbt8170

REFERENCE = Context(prec=200, rounding=ROUND_HALF_EVEN, Emax=10**6, Emin=-(10**6))

finite_decimals = st.decimals(
    allow_nan=False,
    allow_infinity=False,
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    places=None,
)


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        # GB/T 8170-2008 §3.2 examples
        ("12.1498", {"decimals": 1}, "12.1"),
        ("12.1498", {"decimals": 0}, "12"),
        ("10.5002", {"decimals": 0}, "11"),
        ("1.050", {"decimals": 1}, "1.0"),
        ("0.35", {"decimals": 1}, "0.4"),
        ("2500", {"decimals": -3}, "2000"),
        ("3500", {"decimals": -3}, "4000"),
        ("-355", {"decimals": -1}, "-360"),
        ("-325", {"decimals": -1}, "-320"),
        ("1268", {"decimals": -2}, "1300"),
        # §3.3: rounding in one step, never 15.4546 -> 15.455 -> 15.46 -> 15.5 -> 16
        ("15.4546", {"decimals": 0}, "15"),
        ("0.25", {"decimals": 1}, "0.2"),
        ("0.15", {"decimals": 1}, "0.2"),
        ("2.0", {"decimals": 2}, "2.00"),
        ("0.00465", {"significant": 2}, "0.0046"),
        ("0.00475", {"significant": 2}, "0.0048"),
        ("9.96", {"significant": 2}, "10"),
        ("123456", {"significant": 3}, "123000"),
        ("0", {"significant": 3}, "0.00"),
        ("１２.３５", {"decimals": 1}, "12.4"),
    ],
)
def test_examples(value: str, kwargs: dict[str, int], expected: str) -> None:
    assert format_decimal(round_gbt8170(value, **kwargs)) == expected


@settings(max_examples=300, deadline=None)
@given(value=finite_decimals, decimals=st.integers(min_value=-6, max_value=12))
def test_decimals_match_reference(value: Decimal, decimals: int) -> None:
    expected = value.quantize(Decimal(1).scaleb(-decimals), context=REFERENCE)
    result = round_gbt8170(value, decimals=decimals)
    assert result == expected
    assert result.as_tuple().exponent == -decimals


@settings(max_examples=300, deadline=None)
@given(value=finite_decimals, significant=st.integers(min_value=1, max_value=12))
def test_significant_match_reference(value: Decimal, significant: int) -> None:
    expected = Context(prec=significant, rounding=ROUND_HALF_EVEN).plus(value)
    result = round_gbt8170(value, significant=significant)
    assert result == expected
    if not value.is_zero():
        assert len(result.as_tuple().digits) == significant


@settings(max_examples=200, deadline=None)
@given(value=finite_decimals, decimals=st.integers(min_value=0, max_value=8))
def test_string_input_same_as_decimal(value: Decimal, decimals: int) -> None:
    assert round_gbt8170(str(value), decimals=decimals) == round_gbt8170(value, decimals=decimals)


@settings(max_examples=200, deadline=None)
@given(value=finite_decimals, decimals=st.integers(min_value=-4, max_value=8))
def test_format_round_trips_without_exponent(value: Decimal, decimals: int) -> None:
    rounded = round_gbt8170(value, decimals=decimals)
    text = format_decimal(rounded)
    assert "E" not in text and "e" not in text
    assert Decimal(text) == rounded
    if decimals > 0:
        assert decimal_places(text) == decimals  # trailing zeros are kept


def test_one_step_differs_from_stepwise() -> None:
    stepwise = Decimal("15.4546")
    for places in (3, 2, 1, 0):
        stepwise = round_gbt8170(stepwise, decimals=places)
    assert stepwise == Decimal("16")
    assert round_gbt8170("15.4546", decimals=0) == Decimal("15")


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [
        ("1.5", {}),
        ("1.5", {"decimals": 1, "significant": 2}),
        ("1.5", {"significant": 0}),
        ("abc", {"decimals": 1}),
        ("NaN", {"decimals": 1}),
        ("Infinity", {"decimals": 1}),
        (1.5, {"decimals": 1}),
        (True, {"decimals": 1}),
    ],
)
def test_bad_input(value: object, kwargs: dict[str, int]) -> None:
    with pytest.raises(RoundingError):
        round_gbt8170(value, **kwargs)  # type: ignore[arg-type]


def test_int_input_and_negative_zero() -> None:
    assert round_gbt8170(125, decimals=-1) == Decimal("120")
    assert format_decimal(round_gbt8170("-0.04", decimals=1)) == "0.0"
