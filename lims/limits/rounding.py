"""GB/T 8170-2008 rounding on decimal values.

Rounding is half to even ("四舍六入五成双") and done in one step from the full value:
rounding 1.2451 to one decimal gives 1.2, never 1.25 -> 1.2 (or 1.3) by repeated steps.
Values are :class:`~decimal.Decimal` throughout; binary floats are refused because they
cannot represent most decimal results exactly (0.15 as a float is below 0.15).
"""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

__all__ = ["RoundingError", "to_decimal", "round_gbt8170", "format_decimal", "decimal_places"]


class RoundingError(ValueError):
    """A value or rounding request that cannot be honoured (message in Chinese)."""


def _context(digits: int) -> Context:
    # Enough precision that quantize never fails for lack of digits.
    return Context(prec=max(34, digits + 4), rounding=ROUND_HALF_EVEN, Emax=999999, Emin=-999999)


def to_decimal(value: Decimal | str | int) -> Decimal:
    """Convert ``value`` to a finite Decimal exactly; strings may use full-width digits."""
    if isinstance(value, bool):
        raise RoundingError(f"不是数值：{value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace(" ", "").replace(",", "")
        text = text.replace("−", "-").replace("－", "-")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise RoundingError(f"无法识别的数值：{value!r}") from None
    elif isinstance(value, float):
        raise RoundingError(f"不接受二进制浮点数 {value!r}，请以字符串或 Decimal 传入以免误差")
    else:
        raise RoundingError(f"不是数值：{value!r}")
    if not result.is_finite():
        raise RoundingError(f"数值必须有限：{value!r}")
    return result


def round_gbt8170(
    value: Decimal | str | int,
    *,
    decimals: int | None = None,
    significant: int | None = None,
) -> Decimal:
    """Round ``value`` half to even, in one step, per GB/T 8170-2008.

    Exactly one of ``decimals`` (digits after the point; negative rounds to tens,
    hundreds…) or ``significant`` (number of significant digits, >= 1) is given.
    The result keeps the quantized exponent, so ``format_decimal`` shows trailing zeros:
    ``round_gbt8170("2.0", decimals=2)`` is ``Decimal("2.00")``.
    """
    if (decimals is None) == (significant is None):
        raise RoundingError("须且只须指定 decimals（小数位数）或 significant（有效位数）之一")
    number = to_decimal(value)
    if decimals is not None:
        if isinstance(decimals, bool) or not isinstance(decimals, int):
            raise RoundingError(f"小数位数必须为整数：{decimals!r}")
        return _quantize(number, -decimals)
    if isinstance(significant, bool) or not isinstance(significant, int) or significant < 1:
        raise RoundingError(f"有效位数必须为正整数：{significant!r}")
    if number.is_zero():
        return _quantize(Decimal(0), -(significant - 1))
    exponent = number.adjusted() - significant + 1
    rounded = _quantize(number, exponent)
    if rounded.adjusted() > number.adjusted():
        # 9.96 -> 10.0 gained a digit; dropping the trailing zero is exact, not a 2nd rounding.
        rounded = _quantize(rounded, exponent + 1)
    return rounded


def _quantize(number: Decimal, exponent: int) -> Decimal:
    digits = max(number.adjusted(), 0) - exponent + 2
    ctx = _context(digits)
    return number.quantize(Decimal(1).scaleb(exponent, ctx), context=ctx)


def format_decimal(value: Decimal) -> str:
    """Plain notation without exponent, keeping the trailing zeros of ``value``.

    ``Decimal("1.20")`` -> ``"1.20"``; ``Decimal("1.2E+2")`` (rounded to tens) -> ``"120"``;
    ``Decimal("-0.0")`` -> ``"0.0"``.
    """
    number = to_decimal(value)
    if number.is_zero():
        number = abs(number)
    return format(number, "f")


def decimal_places(value: Decimal | str | int) -> int:
    """Digits after the decimal point as written (``"0.050"`` -> 3, ``"120"`` -> 0)."""
    number = to_decimal(value)
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(-exponent, 0)
