"""Read limits and results as standards, bulletins and lab reports write them.

Limits: ``≤0.05mg/kg``, ``≥96%``, ``13.5~15.5%vol``, ``18.0±1.0%vol``, ``≤18.0±1.0%vol``,
``不得检出``, ``不得使用``, ``n=5,c=2,m=10,M=100CFU/g``, ``n=5,c=0,m=0/25g``, and qualifiers
such as ``1.0(干重计)``.  Results: ``0.0926g/kg``, ``287µg/kg``, ``未检出``,
``<0.01 mg/kg``, ``1.2×10⁴ CFU/g``, ``未检出/25g``, and for sampling plans a list such as
``＜10，15，10，＜10，390CFU/g``.  Full-width punctuation, signs and digits are accepted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .rounding import format_decimal
from .units import Unit, UnitError, parse_unit

__all__ = [
    "ParseError",
    "LimitSpec",
    "SamplingPlan",
    "ResultValue",
    "parse_limit",
    "parse_result",
    "parse_results",
    "parse_number",
    "parse_quantity",
    "normalise_text",
    "declared_limit_text",
    "qualitative_state",
    "qualitative_negation",
    "QUALITATIVE_LIMITS",
    "GMP_TEXT",
]


class ParseError(ValueError):
    """Text that cannot be read; the Chinese message names the text."""


LIMIT_KINDS = (
    "max", "min", "range", "not_detected", "not_permitted", "plan", "gmp", "declared",
    "qualitative",
)  # fmt: skip
# Limits that are a state, not a number: the result is the state or its negation.
# 阴性 (脲酶活性定性, GB 22570 and the infant-food standards): its negation is 阳性.
QUALITATIVE_LIMITS = ("商业无菌", "阴性")
_QUALITATIVE_OPPOSITES = {"阴性": ("阳性",)}
GMP_TEXT = "按生产需要适量使用"
DECLARED_TEXT = "明示值"


@dataclass(frozen=True)
class SamplingPlan:
    """A two- or three-class sampling plan (GB 4789.1): n samples, at most c above m,
    none above M.  A two-class plan has ``M is None`` (and c usually 0)."""

    n: int
    c: int
    m: Decimal
    M: Decimal | None
    unit: Unit

    def text(self) -> str:
        parts = [f"n={self.n}", f"c={self.c}", f"m={format_decimal(self.m)}"]
        if self.M is not None:
            parts.append(f"M={format_decimal(self.M)}")
        return ",".join(parts) + self.unit.symbol


@dataclass(frozen=True)
class LimitSpec:
    """A limit as written: a maximum, minimum, range, 不得检出, 不得使用 or a sampling plan.

    ``value`` is the bound for max/min; ``low``/``high`` for a range (a nominal value with
    a tolerance becomes a range, keeping ``nominal`` and ``tolerance``).  ``strict`` marks
    ``<``/``>`` instead of ``≤``/``≥``.  ``qualifier`` keeps text such as 干重计 or
    以脂肪计 that changes what the number applies to.
    """

    kind: str
    text: str
    value: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    unit: Unit | None = None
    strict: bool = False
    nominal: Decimal | None = None
    tolerance: Decimal | None = None
    plan: SamplingPlan | None = None
    qualifier: str | None = None

    @property
    def bound(self) -> Decimal | None:
        """The number that decides rounding digits: the max/min value or the nominal."""
        if self.kind in ("max", "min"):
            return self.value
        if self.kind == "range":
            return self.nominal if self.nominal is not None else self.high
        return None

    def display(self) -> str:
        unit = self.unit.symbol if self.unit else ""
        if self.kind == "not_detected":
            return "不得检出"
        if self.kind == "not_permitted":
            return "不得使用"
        if self.kind == "gmp":
            return GMP_TEXT
        if self.kind in ("declared", "qualitative"):
            return self.text
        if self.kind == "plan" and self.plan is not None:
            return self.plan.text()
        if self.kind == "max":
            sign = "<" if self.strict else "≤"
            base = f"{sign}{format_decimal(self.value)}"  # type: ignore[arg-type]
            if self.tolerance is not None:
                base += f"±{format_decimal(self.tolerance)}"
            return base + unit
        if self.kind == "min":
            sign = ">" if self.strict else "≥"
            base = f"{sign}{format_decimal(self.value)}"  # type: ignore[arg-type]
            if self.tolerance is not None:
                base += f"±{format_decimal(self.tolerance)}"
            return base + unit
        if self.nominal is not None and self.tolerance is not None:
            return f"{format_decimal(self.nominal)}±{format_decimal(self.tolerance)}{unit}"
        return f"{format_decimal(self.low)}~{format_decimal(self.high)}{unit}"  # type: ignore[arg-type]


@dataclass(frozen=True)
class ResultValue:
    """A single result as reported.

    ``qualifier`` is ``=`` for a plain value, ``<``/``≤``/``>``/``≥`` for censored values.
    ``not_detected`` is True for 未检出/ND (``lod`` carries the detection limit when the
    report gives it); ``detected`` is True for a qualitative 检出/阳性 without a number.
    """

    text: str
    value: Decimal | None = None
    unit: Unit | None = None
    qualifier: str = "="
    not_detected: bool = False
    detected: bool = False
    lod: Decimal | None = None
    notes: tuple[str, ...] = field(default=())

    def display(self) -> str:
        unit = self.unit.symbol if self.unit else ""
        if self.not_detected:
            if self.lod is not None:
                return f"未检出（<{format_decimal(self.lod)}{unit}）"
            return "未检出" + (unit if unit.startswith("/") else "")
        if self.detected and self.value is None:
            return "检出" + (unit if unit.startswith("/") else "")
        if self.value is None:  # a qualitative result (商业无菌)
            return self.text
        prefix = "" if self.qualifier == "=" else self.qualifier
        return f"{prefix}{format_decimal(self.value)}{unit}"


# --- normalisation -------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN = re.compile(r"(?<=\d)([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+)")
_SIGNS = {
    "≦": "≤",
    "≧": "≥",
    "⩽": "≤",
    "⩾": "≥",
    "<=": "≤",
    ">=": "≥",
    "〜": "~",
    "－": "-",
    "−": "-",
    "–": "-",
    "—": "-",
    "﹤": "<",
    "﹥": ">",
    "（": "(",
    "）": ")",
    "，": ",",
    "；": ";",
    "、": ",",
    "+/-": "±",
    "＋/－": "±",
}


def normalise_text(text: str) -> str:
    """Fold full-width characters, signs and superscript powers (``10⁴`` -> ``10^4``)."""
    folded = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group(1).translate(_SUPERSCRIPTS), text)
    folded = folded.replace("µ", "u").replace("μ", "u")
    folded = unicodedata.normalize("NFKC", folded)
    for old, new in _SIGNS.items():
        folded = folded.replace(old, new)
    return re.sub(r"\s+", "", folded)


_NUMBER = (
    r"10\^[-+]?\d+"
    r"|[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
    r"(?:(?:[×xX*·]10\^?[-+]?\d+)|(?:[eE][-+]?\d+))?"
)
_NUMBER_FULL = re.compile(rf"(?:{_NUMBER})")
_POWER = re.compile(r"^([-+]?(?:\d+(?:\.\d*)?|\.\d+))(?:[×xX*·]10\^?([-+]?\d+)|[eE]([-+]?\d+))?$")


def parse_number(text: str) -> Decimal:
    """Read ``0.05``, ``1.2×10⁴``, ``1.2x10^4``, ``1.2e4``, ``10^5`` exactly."""
    return _parse_normalised_number(normalise_text(text), text)


def _parse_normalised_number(token: str, text: str) -> Decimal:
    if token.startswith("10^"):
        try:
            return Decimal(1).scaleb(int(token[3:]))
        except ValueError:
            raise ParseError(f"无法识别的数值：{text!r}") from None
    match = _POWER.match(token)
    if not match:
        raise ParseError(f"无法识别的数值：{text!r}")
    try:
        mantissa = Decimal(match.group(1))
    except InvalidOperation:
        raise ParseError(f"无法识别的数值：{text!r}") from None
    exponent = match.group(2) or match.group(3)
    if exponent is not None:
        mantissa = mantissa.scaleb(int(exponent))
    return mantissa


def _split_number_unit(token: str, original: str, what: str) -> tuple[Decimal, Unit | None]:
    match = _NUMBER_FULL.match(token)
    if not match or match.end() == 0:
        raise ParseError(f"无法识别的{what}：{original!r}（找不到数值）")
    value = _parse_normalised_number(match.group(0), original)
    rest = token[match.end() :]
    if not rest:
        return value, None
    try:
        return value, parse_unit(rest)
    except UnitError as exc:
        raise ParseError(f"无法识别的{what}：{original!r}（{exc}）") from None


def parse_quantity(text: str, *, what: str = "数值") -> tuple[Decimal, Unit | None]:
    """Read a number with an optional unit: ``0.01mg/kg`` -> (Decimal('0.01'), mg/kg)."""
    token = normalise_text(str(text))
    if not token:
        raise ParseError(f"{what}为空")
    return _split_number_unit(token, str(text), what)


# --- limits --------------------------------------------------------------------------

_NOT_DETECTED_WORDS = ("不得检出", "不应检出", "不得检测出", "notdetected")
_NOT_PERMITTED_WORDS = ("不得使用", "不得添加", "不应使用", "禁止使用", "不得使用(不得检出)")
_QUALIFIER = re.compile(r"\(([^()]*(?:计|除外|仅|适用|以)[^()]*)\)")
_PLAN_KEY = re.compile(r"^(n|c|m|M)=(.+)$")
_PLAN_START = re.compile(r"(?:^|[,;])[ncmM]=")


def _pull_qualifiers(token: str) -> tuple[str, str | None]:
    found = _QUALIFIER.findall(token)
    if not found:
        return token, None
    stripped = _QUALIFIER.sub("", token)
    return stripped, "；".join(found)


@lru_cache(maxsize=4096)
def parse_limit(text: str) -> LimitSpec:
    """Parse a limit as written in a standard or bulletin (see module docstring)."""
    if text is None or not str(text).strip():
        raise ParseError("限量为空")
    original = str(text).strip()
    token = normalise_text(original)
    token, qualifier = _pull_qualifiers(token)
    lowered = token.lower()
    if any(word in lowered for word in _NOT_PERMITTED_WORDS):
        return LimitSpec(kind="not_permitted", text=original, qualifier=qualifier)
    if token in QUALITATIVE_LIMITS:
        return LimitSpec(kind="qualitative", text=token, qualifier=qualifier)
    if GMP_TEXT in token:
        return LimitSpec(kind="gmp", text=original, qualifier=qualifier)
    if DECLARED_TEXT in token:
        return _parse_declared(token, original, qualifier)
    if any(word in lowered for word in _NOT_DETECTED_WORDS) or lowered in ("nd", "不得检出"):
        return LimitSpec(kind="not_detected", text=original, qualifier=qualifier)
    if _PLAN_START.search(token):
        return _parse_plan(token, original, qualifier)
    sign = None
    for candidate in ("≤", "≥", "<", ">"):
        if token.startswith(candidate):
            sign, token = candidate, token[len(candidate) :]
            break
    if not token:
        raise ParseError(f"无法识别的限量：{original!r}")
    if "±" in token:
        return _parse_tolerance(token, original, sign, qualifier)
    range_match = re.match(rf"^({_NUMBER})(?:[~至]|-(?=\d))({_NUMBER})(.*)$", token)
    if range_match and sign is None:
        low = parse_number(range_match.group(1))
        high = parse_number(range_match.group(2))
        unit = _unit_or_error(range_match.group(3), original)
        if low > high:
            raise ParseError(f"限量范围下限大于上限：{original!r}")
        return LimitSpec(
            kind="range", text=original, low=low, high=high, unit=unit, qualifier=qualifier
        )
    value, unit = _split_number_unit(token, original, "限量")
    if value < 0:
        raise ParseError(f"限量不能为负数：{original!r}")
    kind = "min" if sign in ("≥", ">") else "max"
    return LimitSpec(
        kind=kind,
        text=original,
        value=value,
        unit=unit,
        strict=sign in ("<", ">"),
        qualifier=qualifier,
    )


_DECLARED = re.compile(rf"^(≤|≥|<|>)?{DECLARED_TEXT}(?:±({_NUMBER})(%?))?(.*)$")


def _parse_declared(token: str, original: str, qualifier: str | None) -> LimitSpec:
    """A limit that is the product's declared value: ``明示值`` (the declared text is the
    limit), ``≥明示值``/``≤明示值``, or ``明示值±N`` / ``明示值±N%`` (a tolerance)."""
    match = _DECLARED.match(token)
    if match is None:
        raise ParseError(
            f"无法识别的明示值限量：{original!r}（应为 明示值、≥明示值、≤明示值、明示值±N 或 明示值±N%）"
        )
    sign, number, percent, rest = match.groups()
    if percent and rest:  # 明示值±1.0%vol: a unit, not a relative tolerance
        rest, percent = f"%{rest}", ""
    if sign and number:
        raise ParseError(f"明示值限量不能同时带符号与允差：{original!r}")
    tolerance = parse_number(number) if number else None
    unit = _unit_or_error(rest, original) if rest and not percent else None
    return LimitSpec(
        kind="declared", text=original, tolerance=tolerance, unit=unit,
        strict=sign in ("<", ">"), qualifier=qualifier,
        nominal=Decimal(1) if percent else None,  # nominal=1 marks a relative tolerance
        value=None, low=None, high=None, plan=None,
    )  # fmt: skip


def declared_limit_text(spec: LimitSpec, declared: str) -> str:
    """The limit text for a declared-value row, given the value the product declares.

    ``明示值``: ``declared`` is itself a limit as the product's standard writes it
    (``≥3.0g/100g``).  ``≥明示值``/``≤明示值``: ``declared`` is a quantity.  ``明示值±N``:
    the range declared ± N (``N%`` is relative to the declared value).
    """
    if spec.kind != "declared":
        raise ParseError(f"限量 {spec.text!r} 不是明示值限量")
    text = normalise_text(declared or "")
    if not text:
        raise ParseError("该项目按产品明示值判定，需要提供明示值（执行标准或标签的标示值）")
    body = normalise_text(spec.text)
    if body.startswith(DECLARED_TEXT) and spec.tolerance is None:
        parse_limit(text)  # the declared text must itself be a limit
        return text
    value, unit = parse_quantity(text.lstrip("≤≥<>=").strip(), what="明示值")
    shown = unit.symbol if unit else (spec.unit.symbol if spec.unit else "")
    if spec.tolerance is None:
        sign = body[0]
        return f"{sign}{format_decimal(value)}{shown}"
    if spec.nominal is not None:  # relative tolerance
        width = value * spec.tolerance / 100
    else:
        width = spec.tolerance
        if spec.unit is not None and unit is not None and spec.unit.symbol != unit.symbol:
            raise ParseError(f"明示值单位 {unit.symbol} 与允差单位 {spec.unit.symbol} 不一致")
    low, high = value - width, value + width
    return f"{format_decimal(max(low, Decimal(0)))}~{format_decimal(high)}{shown}"


def qualitative_negation(word: str) -> str:
    """The result that contradicts a qualitative limit: 阳性 for 阴性, else 非商业无菌."""
    opposites = _QUALITATIVE_OPPOSITES.get(word)
    return opposites[0] if opposites else f"非{word}"


def qualitative_state(text: str, expected: str | None = None) -> bool | None:
    """For a qualitative result: True if it states ``expected`` (商业无菌), False if it
    states the negation (非商业无菌, 不符合商业无菌要求), None if it is not such a text.
    Without ``expected`` any of :data:`QUALITATIVE_LIMITS` is tried."""
    token = normalise_text(text or "").replace(" ", "")
    for word in (expected,) if expected else QUALITATIVE_LIMITS:
        if token in (word, f"符合{word}", f"符合{word}要求"):
            return True
        if token in (f"非{word}", f"不是{word}", f"不符合{word}", f"不符合{word}要求"):
            return False
        if token in _QUALITATIVE_OPPOSITES.get(word, ()):
            return False
    return None


def _unit_or_error(rest: str, original: str) -> Unit | None:
    if not rest:
        return None
    try:
        return parse_unit(rest)
    except UnitError as exc:
        raise ParseError(f"无法识别的限量：{original!r}（{exc}）") from None


def _parse_tolerance(
    token: str, original: str, sign: str | None, qualifier: str | None
) -> LimitSpec:
    nominal_text, _, rest = token.partition("±")
    nominal = parse_number(nominal_text) if _NUMBER_FULL.fullmatch(nominal_text) else None
    if nominal is None:
        raise ParseError(f"无法识别的限量：{original!r}（±前应为数值）")
    tolerance, unit = _split_number_unit(rest, original, "限量")
    if tolerance < 0:
        raise ParseError(f"允许偏差不能为负数：{original!r}")
    if sign in ("≤", "<"):
        return LimitSpec(
            kind="max", text=original, value=nominal, unit=unit, strict=sign == "<",
            nominal=nominal, tolerance=tolerance, qualifier=qualifier,
        )  # fmt: skip
    if sign in ("≥", ">"):
        return LimitSpec(
            kind="min", text=original, value=nominal, unit=unit, strict=sign == ">",
            nominal=nominal, tolerance=tolerance, qualifier=qualifier,
        )  # fmt: skip
    return LimitSpec(
        kind="range", text=original, low=nominal - tolerance, high=nominal + tolerance,
        unit=unit, nominal=nominal, tolerance=tolerance, qualifier=qualifier,
    )  # fmt: skip


def _parse_plan(token: str, original: str, qualifier: str | None) -> LimitSpec:
    values: dict[str, str] = {}
    for part in re.split(r"[,;]", token):
        if not part:
            continue
        match = _PLAN_KEY.match(part)
        if not match:
            raise ParseError(f"无法识别的采样方案：{original!r}（无法读取“{part}”）")
        key = match.group(1)
        if key in values:
            raise ParseError(f"采样方案中 {key} 重复：{original!r}")
        values[key] = match.group(2)
    for key in ("n", "c", "m"):
        if key not in values:
            raise ParseError(f"采样方案缺少 {key}：{original!r}")
    try:
        n, c = int(values["n"]), int(values["c"])
    except ValueError:
        raise ParseError(f"采样方案的 n、c 必须为整数：{original!r}") from None
    if n < 1 or c < 0 or c > n:
        raise ParseError(f"采样方案 n、c 不合理（n={n}, c={c}）：{original!r}")
    units: list[Unit] = []
    numbers: dict[str, Decimal] = {}
    for key in ("m", "M"):
        if key not in values:
            continue
        value, unit = _split_number_unit(values[key], original, "采样方案")
        numbers[key] = value
        if unit is not None:
            units.append(unit)
    if not units:
        raise ParseError(f"采样方案缺少单位（如 CFU/g 或 /25g）：{original!r}")
    if any(u != units[0] for u in units):
        raise ParseError(f"采样方案 m 与 M 单位不一致：{original!r}")
    upper = numbers.get("M")
    if upper is not None and upper < numbers["m"]:
        raise ParseError(f"采样方案 M 小于 m：{original!r}")
    plan = SamplingPlan(n=n, c=c, m=numbers["m"], M=upper, unit=units[0])
    return LimitSpec(kind="plan", text=original, plan=plan, unit=units[0], qualifier=qualifier)


# --- results -------------------------------------------------------------------------

_ND_WORDS = ("未检出", "未检测出", "未检到", "阴性", "nd", "n.d.", "notdetected", "<lod")
_DETECTED_WORDS = ("检出", "阳性", "positive", "detected")
_LOD_IN_TEXT = re.compile(r"\((?:<|检出限|lod|LOD|检出限为|检出限:)?\s*([^()]+)\)")


# Plain results ("0.035mg/kg", "<0.01 mg/kg", "287µg/kg") skip the full normalisation:
# batch judgement spends most of its time here.
_FAST_RESULT = re.compile(r"^([<>]?)(\d+(?:\.\d+)?) ?([A-Za-zµμ/%]+)$")


def parse_result(text: str, *, default_unit: Unit | str | None = None) -> ResultValue:
    """Parse one result.  A bare number takes ``default_unit`` if given (else no unit)."""
    if text is None or not str(text).strip():
        raise ParseError("检测结果为空")
    original = str(text).strip()
    fast = _FAST_RESULT.match(original)
    if fast:
        try:
            unit = parse_unit(fast.group(3))
        except UnitError:
            unit = None  # let the full parser produce the error message
        if unit is not None:
            return ResultValue(
                text=original, value=Decimal(fast.group(2)), unit=unit,
                qualifier=fast.group(1) or "=",
            )  # fmt: skip
    token = normalise_text(original)
    unit_default = parse_unit(default_unit) if isinstance(default_unit, str) else default_unit
    lowered = token.lower()
    # 未检出 / ND, optionally with "/25g" and a detection limit in brackets.
    for word in _ND_WORDS:
        if lowered.startswith(word):
            rest = token[len(word) :]
            return _not_detected(rest, original, unit_default)
    for word in _DETECTED_WORDS:
        if lowered.startswith(word):
            rest = token[len(word) :]
            unit = _unit_or_result_error(rest, original) if rest else unit_default
            notes = ("定性检出，未给出数值",)
            return ResultValue(text=original, unit=unit, detected=True, notes=notes)
    qualifier = "="
    for candidate in ("≤", "≥", "<", ">"):
        if token.startswith(candidate):
            qualifier, token = candidate, token[len(candidate) :]
            break
    value, unit = _split_number_unit(token, original, "检测结果")
    if value < 0:
        raise ParseError(f"检测结果不能为负数：{original!r}")
    notes: tuple[str, ...] = ()
    if unit is None and unit_default is not None:
        unit = unit_default
        notes = ("结果未写单位，按限量单位理解",)
    return ResultValue(text=original, value=value, unit=unit, qualifier=qualifier, notes=notes)


def _unit_or_result_error(rest: str, original: str) -> Unit:
    try:
        return parse_unit(rest)
    except UnitError as exc:
        raise ParseError(f"无法识别的检测结果：{original!r}（{exc}）") from None


def _not_detected(rest: str, original: str, unit_default: Unit | None) -> ResultValue:
    lod = None
    unit = None
    match = _LOD_IN_TEXT.search(rest)
    if match:
        inner = match.group(1)
        for prefix in ("检出限为", "检出限:", "检出限", "lod", "LOD", "<", "≤"):
            if inner.startswith(prefix):
                inner = inner[len(prefix) :]
        lod, unit = _split_number_unit(inner, original, "检出限")
        rest = rest[: match.start()] + rest[match.end() :]
    if rest:
        unit_rest = _unit_or_result_error(rest, original)
        if unit is not None and unit != unit_rest:
            raise ParseError(f"检测结果中单位不一致：{original!r}")
        unit = unit_rest
    if unit is None:
        unit = unit_default
    value = Decimal(0) if unit is not None and unit.kind.startswith("detection") else None
    return ResultValue(text=original, value=value, unit=unit, not_detected=True, lod=lod)


def parse_results(text: str) -> list[ResultValue]:
    """Parse a list of results for a sampling plan: ``＜10，15，10，＜10，390CFU/g``.

    A unit written on the last value (or any value) applies to values written without one.
    """
    if text is None or not str(text).strip():
        raise ParseError("检测结果为空")
    original = str(text).strip()
    token = normalise_text(original)
    parts = _split_list(token)
    if not parts:
        raise ParseError(f"无法识别的检测结果：{original!r}")
    parsed = [parse_result(part) for part in parts]
    units = {p.unit for p in parsed if p.unit is not None}
    if len(units) > 1:
        names = "、".join(sorted(u.symbol for u in units))
        raise ParseError(f"检测结果列表中单位不一致（{names}）：{original!r}")
    unit = next(iter(units)) if units else None
    out = []
    for item in parsed:
        if item.unit is None and unit is not None:
            value = item.value
            if item.not_detected and unit.kind.startswith("detection"):
                value = Decimal(0)
            item = ResultValue(
                text=item.text, value=value, unit=unit, qualifier=item.qualifier,
                not_detected=item.not_detected, detected=item.detected, lod=item.lod,
                notes=item.notes,
            )  # fmt: skip
        out.append(item)
    return out


def _split_list(token: str) -> list[str]:
    # Split on "," and ";" only: "/" belongs to units such as CFU/g and /25g.
    return [part for part in re.split(r"[,;]", token) if part]
