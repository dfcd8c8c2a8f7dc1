"""Analytical methods as data: what a method measures and how a result is computed.

A :class:`Method` is one procedure of a method standard (e.g. GB 5009.12-2023 第一法,
graphite furnace AAS).  It is built by :mod:`lims.methods.loader` from a TOML file and
turns the values typed, weighed or read for one determination into a result with
:meth:`Method.compute`, reported per the standard's rounding rule.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Literal

from lims.foods.analytes import analyte_key
from lims.limits.rounding import RoundingError, format_decimal, round_gbt8170, to_decimal
from lims.methods.formula import Formula, FormulaEvaluationError

__all__ = [
    "MethodInputError",
    "InputSpec",
    "Constant",
    "Analyte",
    "DetectionLimit",
    "ReportingRule",
    "Reporting",
    "Uncertainty",
    "Qualitative",
    "StandardRef",
    "Method",
    "Computation",
]

InputSource = Literal["typed", "balance", "reader"]


class MethodInputError(ValueError):
    """Bad or missing input values for a computation (message in Chinese)."""


@dataclass(frozen=True)
class InputSpec:
    """One value entered for a determination."""

    name: str
    label_zh: str
    label_en: str
    unit: str
    source: InputSource  # typed by hand, captured from a balance, or read off an instrument
    required: bool = True
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    default: Decimal | None = None
    note: str = ""

    @property
    def from_balance(self) -> bool:
        return self.source == "balance"


@dataclass(frozen=True)
class Constant:
    name: str
    value: Decimal
    label_zh: str
    unit: str


@dataclass(frozen=True)
class Analyte:
    """An analyte as written in the sampling rules, with its matching key."""

    name: str
    key: str


@dataclass(frozen=True)
class DetectionLimit:
    """LOD/LOQ, possibly for one analyte or matrix; ``basis`` states the test portion."""

    lod: Decimal | None
    loq: Decimal | None
    unit: str
    analyte_key: str | None = None
    matrix: str | None = None
    basis: str = ""
    verified: bool = False


@dataclass(frozen=True)
class ReportingRule:
    """Round to ``decimals`` or ``significant`` digits when value >= ``at_least``."""

    at_least: Decimal | None
    decimals: int | None
    significant: int | None


@dataclass(frozen=True)
class Reporting:
    rule_zh: str
    rules: tuple[ReportingRule, ...]  # first matching rule wins; the last has no threshold
    # GB/T 8170 half-even, except where a standard prescribes 四舍五入 (GB 4789.2).
    rounding: Literal["gbt8170", "half_up"] = "gbt8170"
    # Between LOD and LOQ: report "<LOQ" (default) or the value with a note, as the method says.
    below_loq: Literal["loq", "value"] = "loq"

    def rule_for(self, value: Decimal) -> ReportingRule:
        magnitude = abs(value)
        for rule in self.rules:
            if rule.at_least is None or magnitude >= rule.at_least:
                return rule
        return self.rules[-1]

    def round(self, value: Decimal) -> Decimal:
        rule = self.rule_for(value)
        if self.rounding == "half_up":
            return _round_half_up(value, rule)
        return round_gbt8170(value, decimals=rule.decimals, significant=rule.significant)


def _round_half_up(value: Decimal, rule: ReportingRule) -> Decimal:
    # Only for standards that prescribe 四舍五入 explicitly; GB/T 8170 is the default.
    if rule.decimals is not None:
        exponent = -rule.decimals
    else:
        assert rule.significant is not None
        exponent = (value.adjusted() if not value.is_zero() else 0) - rule.significant + 1
    with localcontext() as ctx:
        ctx.prec = 60
        rounded = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
        if rule.significant is not None and not value.is_zero():
            if rounded.adjusted() > value.adjusted():  # 99.6 -> 100: keep the digit count
                rounded = rounded.quantize(Decimal(1).scaleb(exponent + 1))
    return rounded


@dataclass(frozen=True)
class Uncertainty:
    """Default relative expanded uncertainty (coverage factor k) for the method."""

    relative_percent: Decimal
    k: int = 2
    note: str = ""
    verified: bool = False


@dataclass(frozen=True)
class Qualitative:
    """A screening judgement on the computed value (e.g. inhibition >= 50 % is positive)."""

    positive_at_least: Decimal
    positive_zh: str = "阳性"
    negative_zh: str = "阴性"


@dataclass(frozen=True)
class StandardRef:
    number: str  # "GB 5009.12"
    year: int
    title_zh: str
    title_en: str

    @property
    def designation(self) -> str:
        return f"{self.number}-{self.year}"


@dataclass(frozen=True)
class Computation:
    """The outcome of one computation, with the steps for the audit trail."""

    value_full: Decimal
    value_reported: str
    unit: str
    below_lod: bool
    below_loq: bool
    steps: tuple[str, ...]
    lod: Decimal | None = None
    loq: Decimal | None = None
    qualitative: str | None = None
    expanded_uncertainty: str | None = None  # absolute U, same last digit as the result
    limits_verified: bool = False  # False: LOD/LOQ not yet checked against the standard

    @property
    def report_text(self) -> str:
        """What a report shows: 未检出 below the LOD, otherwise the rounded value."""
        if self.below_lod:
            return "未检出"
        return self.value_reported


@dataclass(frozen=True)
class Method:
    code: str
    standard: StandardRef
    part: str  # 第一法…
    technique: str
    technique_en: str
    scope: str
    citation: str
    analytes: tuple[Analyte, ...]
    inputs: tuple[InputSpec, ...]
    constants: tuple[Constant, ...]
    formula: Formula
    result_symbol: str
    result_unit: str
    result_units: tuple[str, ...]  # result_unit first, then e.g. mg/L for liquid samples
    limits: tuple[DetectionLimit, ...]
    reporting: Reporting
    uncertainty: Uncertainty | None = None
    qualitative: Qualitative | None = None
    verified: bool = False
    notes: str = ""
    source_file: str = ""
    _inputs_by_name: dict[str, InputSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._inputs_by_name.update({spec.name: spec for spec in self.inputs})

    @property
    def analyte_keys(self) -> frozenset[str]:
        return frozenset(a.key for a in self.analytes)

    def input(self, name: str) -> InputSpec:
        return self._inputs_by_name[name]

    def detection_limit(
        self, analyte: str | None = None, unit: str | None = None, matrix: str | None = None
    ) -> DetectionLimit | None:
        """The most specific LOD/LOQ row for the analyte, result unit and matrix."""
        unit = unit or self.result_unit
        key = analyte_key(analyte) if analyte else None
        best: tuple[int, DetectionLimit] | None = None
        for row in self.limits:
            if row.unit != unit:
                continue
            if row.analyte_key is not None and row.analyte_key != key:
                continue
            if row.matrix is not None and row.matrix != matrix:
                continue
            score = (row.analyte_key is not None) * 2 + (row.matrix is not None)
            if best is None or score > best[0]:
                best = (score, row)
        return best[1] if best else None

    def parse_inputs(self, inputs: Mapping[str, str | Decimal | int]) -> dict[str, Decimal]:
        """Check and convert raw input values; errors name the field in Chinese."""
        unknown = sorted(set(inputs) - set(self._inputs_by_name))
        if unknown:
            raise MethodInputError(f"方法 {self.code} 没有输入项：{'、'.join(unknown)}")
        values: dict[str, Decimal] = {}
        for spec in self.inputs:
            raw = inputs.get(spec.name)
            label = f"{spec.label_zh}（{spec.name}）"
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if spec.default is not None:
                    values[spec.name] = spec.default
                    continue
                if spec.required:
                    raise MethodInputError(f"缺少必填项：{label}")
                continue
            try:
                number = to_decimal(raw)
            except RoundingError:
                raise MethodInputError(f"{label} 不是有效数值：{raw!r}") from None
            except (InvalidOperation, TypeError):
                raise MethodInputError(f"{label} 不是有效数值：{raw!r}") from None
            unit = "" if spec.unit == "1" else f" {spec.unit}"
            if spec.minimum is not None and number < spec.minimum:
                raise MethodInputError(
                    f"{label} = {format_decimal(number)}{unit} 低于合理下限 "
                    f"{format_decimal(spec.minimum)}{unit}"
                )
            if spec.maximum is not None and number > spec.maximum:
                raise MethodInputError(
                    f"{label} = {format_decimal(number)}{unit} 超过合理上限 "
                    f"{format_decimal(spec.maximum)}{unit}"
                )
            values[spec.name] = number
        return values

    def compute(
        self,
        inputs: Mapping[str, str | Decimal | int],
        *,
        analyte: str | None = None,
        unit: str | None = None,
        matrix: str | None = None,
    ) -> Computation:
        """Compute and report one result.

        ``analyte`` picks per-analyte LOD/LOQ in multi-residue methods, ``unit`` an
        alternative result unit (mg/L when a liquid test portion was taken by volume),
        ``matrix`` per-matrix limits.
        """
        if analyte is not None and self.analytes and analyte_key(analyte) not in self.analyte_keys:
            raise MethodInputError(f"方法 {self.code} 不测定 {analyte}")
        result_unit = unit or self.result_unit
        if result_unit not in self.result_units:
            allowed = "、".join(self.result_units)
            raise MethodInputError(f"方法 {self.code} 的结果单位只能是 {allowed}，不能是 {unit}")
        values = self.parse_inputs(inputs)
        for constant in self.constants:
            values[constant.name] = constant.value
        missing = sorted(self.formula.names - set(values))
        if missing:
            labels = "、".join(
                f"{self._inputs_by_name[n].label_zh}（{n}）" if n in self._inputs_by_name else n
                for n in missing
            )
            raise MethodInputError(f"计算 {self.result_symbol} 缺少输入：{labels}")
        try:
            full = self.formula.evaluate(values)
        except FormulaEvaluationError as exc:
            raise MethodInputError(f"方法 {self.code} 计算失败：{exc}") from None
        rounded = self.reporting.round(full)
        used = {name: values[name] for name in sorted(self.formula.names)}
        steps = (
            f"{self.result_symbol} = {self.formula.source}",
            f"{self.result_symbol} = {self.formula.substitute(used)}",
            f"{self.result_symbol} = {format_decimal(full)} {result_unit}",
            f"修约（{self.reporting.rule_zh}）：{format_decimal(rounded)} {result_unit}",
        )
        limit = self.detection_limit(analyte, result_unit, matrix)
        lod = limit.lod if limit else None
        loq = limit.loq if limit else None
        qualitative = None
        if self.qualitative is not None:
            positive = full >= self.qualitative.positive_at_least
            qualitative = self.qualitative.positive_zh if positive else self.qualitative.negative_zh
        uncertainty = None
        if self.uncertainty is not None and not (lod is not None and full < lod):
            absolute = abs(full) * self.uncertainty.relative_percent / Decimal(100)
            exponent = rounded.as_tuple().exponent
            assert isinstance(exponent, int)
            uncertainty = format_decimal(round_gbt8170(absolute, decimals=-exponent))
        return Computation(
            value_full=full,
            value_reported=format_decimal(rounded),
            unit=result_unit,
            below_lod=lod is not None and full < lod,
            below_loq=loq is not None and full < loq,
            steps=steps,
            lod=lod,
            loq=loq,
            qualitative=qualitative,
            expanded_uncertainty=uncertainty,
            limits_verified=bool(limit and limit.verified),
        )


def fold_text(text: str) -> str:
    """NFKC-fold and trim free text from a method file."""
    return unicodedata.normalize("NFKC", text).strip()
