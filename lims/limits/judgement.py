"""Conformity judgement of results against limits.

Comparison methods (GB/T 8170-2008 §4.3): full-value (全数值比较法, default) compares the
result as measured; rounded-value (修约值比较法) first rounds it, half to even in one
step, to the digit of the limit as written.

Decision rules (ISO/IEC 17025:2017 §7.1.3 and §7.8.6.1, ILAC-G8:09/2019):
``simple`` acceptance (shared risk; the default for official sampling), ``guarded``
acceptance with a guard band equal to the expanded uncertainty U (pass only if the
result plus U conforms), and the ``non-binary`` rule giving pass, conditional pass,
conditional fail or fail.  The rule used is stored on every verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from .parsing import LimitSpec, ParseError, ResultValue, parse_limit, parse_quantity, parse_result
from .rounding import format_decimal, round_gbt8170
from .units import Unit, UnitError, convert

__all__ = [
    "JudgementError",
    "Judgement",
    "PlanJudgement",
    "Uncertainty",
    "judge",
    "judge_plan",
    "judge_many",
    "judge_total_for_species",
    "parse_uncertainty",
    "VERDICTS",
    "RULES",
    "COMPARISONS",
]

VERDICTS = ("pass", "fail", "conditional_pass", "conditional_fail", "no_limit")
RULES = ("simple", "guarded", "non-binary")
COMPARISONS = ("full", "rounded")

VERDICT_ZH = {
    "pass": "符合",
    "fail": "不符合",
    "conditional_pass": "有条件符合",
    "conditional_fail": "有条件不符合",
    "no_limit": "无限量",
}
RULE_ZH = {
    "simple": "简单接受规则",
    "guarded": "保护带接受规则（保护带=U）",
    "non-binary": "非二元判定规则",
}
COMPARISON_ZH = {"full": "全数值比较法", "rounded": "修约值比较法"}


class JudgementError(ValueError):
    """The result cannot be judged against the limit (message in Chinese)."""


@dataclass(frozen=True)
class Uncertainty:
    """Expanded uncertainty U: absolute (``value`` with ``unit``) or relative (``relative``,
    a fraction of the result, from ``10%rel``)."""

    text: str
    value: Decimal | None = None
    unit: Unit | None = None
    relative: Decimal | None = None

    def absolute(
        self, result: Decimal, result_unit: Unit | None, limit_unit: Unit | None
    ) -> Decimal:
        if self.relative is not None:
            return abs(result) * self.relative
        assert self.value is not None
        if (
            self.unit is not None
            and self.unit.symbol == "%"
            and (limit_unit is None or limit_unit.symbol != "%")
        ):
            raise JudgementError(
                f"不确定度“{self.text}”含义不明：相对不确定度请写作 {format_decimal(self.value)}%rel"
            )
        source = self.unit or result_unit or limit_unit
        if source is None or limit_unit is None or source == limit_unit:
            return self.value
        return convert(self.value, source, limit_unit)


def parse_uncertainty(text: str | Decimal | Uncertainty) -> Uncertainty:
    """Read ``0.003mg/kg`` / ``0.003`` (absolute) or ``10%rel`` / ``Urel=10%`` (relative)."""
    if isinstance(text, Uncertainty):
        return text
    if isinstance(text, Decimal):
        if text < 0:
            raise ParseError(f"不确定度不能为负数：{text}")
        return Uncertainty(text=format_decimal(text), value=text)
    raw = str(text).strip()
    token = raw.replace(" ", "").replace("％", "%")
    lowered = token.lower()
    relative = False
    for marker in ("urel=", "u_rel=", "相对", "rel="):
        if lowered.startswith(marker):
            relative = True
            token, lowered = token[len(marker) :], lowered[len(marker) :]
    if lowered.startswith("±"):
        token, lowered = token[1:], lowered[1:]
    for marker in ("%rel", "%(rel)", "%(相对)"):
        if lowered.endswith(marker):
            relative = True
            token = token[: -len(marker)] + "%"
            lowered = token.lower()
    if lowered.startswith("u="):
        token = token[2:]
    if relative:
        if not token.endswith("%"):
            raise ParseError(f"无法识别的相对不确定度：{raw!r}（应写作 10%rel）")
        value, _ = parse_quantity(token[:-1], what="不确定度")
        if value < 0:
            raise ParseError(f"不确定度不能为负数：{raw!r}")
        return Uncertainty(text=raw, relative=value / 100)
    value, unit = parse_quantity(token, what="不确定度")
    if value < 0:
        raise ParseError(f"不确定度不能为负数：{raw!r}")
    return Uncertainty(text=raw, value=value, unit=unit)


@dataclass(frozen=True)
class Judgement:
    """The verdict on one result, with everything needed to explain and audit it.

    ``reason_zh`` is built on first access (batch judgement rarely reads it)."""

    verdict: str
    rule: str
    comparison: str
    result: ResultValue
    limit: LimitSpec
    converted: Decimal | None = None
    compared: Decimal | None = None
    uncertainty: Decimal | None = None
    notes: tuple[str, ...] = field(default=())
    reason_source: str | tuple[Any, ...] = field(default="", repr=False, compare=False)

    @cached_property
    def reason_zh(self) -> str:
        if isinstance(self.reason_source, tuple):
            return _reason(*self.reason_source)
        return self.reason_source

    @property
    def verdict_zh(self) -> str:
        return VERDICT_ZH[self.verdict]

    def to_dict(self) -> dict[str, Any]:
        limit = self.limit
        unit = limit.unit.symbol if limit.unit else None
        return {
            "verdict": self.verdict,
            "verdict_zh": self.verdict_zh,
            "reason": self.reason_zh,
            "rule": self.rule,
            "comparison": self.comparison,
            "limit": _limit_dict(limit),
            "result": {
                "text": self.result.text,
                "display": self.result.display(),
                "value": _fmt(self.result.value),
                "unit": self.result.unit.symbol if self.result.unit else None,
                "qualifier": self.result.qualifier,
                "not_detected": self.result.not_detected,
                "lod": _fmt(self.result.lod),
                "converted": _fmt(self.converted),
                "converted_unit": unit if self.converted is not None else None,
                "compared": _fmt(self.compared),
            },
            "uncertainty": _fmt(self.uncertainty),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class PlanJudgement:
    """The verdict of a sampling plan over its n results."""

    verdict: str
    reason_zh: str
    limit: LimitSpec
    results: tuple[ResultValue, ...]
    above_m: int
    above_M: int
    rule: str = "simple"
    comparison: str = "full"
    notes: tuple[str, ...] = field(default=())

    @property
    def verdict_zh(self) -> str:
        return VERDICT_ZH[self.verdict]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "verdict_zh": self.verdict_zh,
            "reason": self.reason_zh,
            "rule": self.rule,
            "comparison": self.comparison,
            "limit": _limit_dict(self.limit),
            "result": {
                "text": "，".join(r.text for r in self.results),
                "values": [r.display() for r in self.results],
                "n": len(self.results),
                "above_m": self.above_m,
                "above_M": self.above_M,
            },
            "notes": list(self.notes),
        }


def _fmt(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)


def _limit_dict(limit: LimitSpec) -> dict[str, Any]:
    data: dict[str, Any] = {
        "text": limit.text,
        "display": limit.display(),
        "kind": limit.kind,
        "value": _fmt(limit.value),
        "low": _fmt(limit.low),
        "high": _fmt(limit.high),
        "unit": limit.unit.symbol if limit.unit else None,
        "qualifier": limit.qualifier,
    }
    if limit.tolerance is not None:
        data["tolerance"] = _fmt(limit.tolerance)
    if limit.plan is not None:
        plan = limit.plan
        data["plan"] = {"n": plan.n, "c": plan.c, "m": _fmt(plan.m), "M": _fmt(plan.M)}
    return data


# --- helpers -------------------------------------------------------------------------


def _as_limit(limit: LimitSpec | str) -> LimitSpec:
    return limit if isinstance(limit, LimitSpec) else parse_limit(limit)


def _as_result(result: ResultValue | str, limit: LimitSpec) -> ResultValue:
    if isinstance(result, ResultValue):
        return result
    return parse_result(result, default_unit=limit.unit)


def _to_limit_unit(
    value: Decimal, unit: Unit | None, limit: LimitSpec, density: Decimal | None
) -> Decimal:
    if unit is None or limit.unit is None or unit is limit.unit or unit == limit.unit:
        return value
    try:
        return convert(value, unit, limit.unit, density=density)
    except UnitError as exc:
        raise JudgementError(f"结果单位与限量单位不兼容：{exc}") from None


def _threshold(
    text: str | Decimal | None, result: ResultValue, limit: LimitSpec, density: Decimal | None
) -> Decimal | None:
    """LOD/LOQ given as ``0.01mg/kg``, ``0.01`` (result's unit) or a Decimal."""
    if text is None:
        return None
    if isinstance(text, Decimal):
        value, unit = text, None
    else:
        value, unit = parse_quantity(str(text), what="检出限/定量限")
    return _to_limit_unit(value, unit or result.unit or limit.unit, limit, density)


def _u(unit: Unit | None) -> str:
    return unit.symbol if unit else ""


def _decimals_of(limit: LimitSpec) -> int:
    """Digit the limit is written to: 0.05 -> 2; 10 -> 0; 1.0×10⁴ -> -3."""
    bound = limit.bound
    if bound is None:
        return 0
    exponent = bound.as_tuple().exponent
    assert isinstance(exponent, int)
    return -exponent


# --- single results ------------------------------------------------------------------


def judge(
    result: ResultValue | str,
    limit: LimitSpec | str,
    *,
    comparison: str = "full",
    rule: str = "simple",
    uncertainty: str | Decimal | Uncertainty | None = None,
    lod: str | Decimal | None = None,
    loq: str | Decimal | None = None,
    density: Decimal | None = None,
) -> Judgement:
    """Judge one result against one limit (see module docstring for the rules).

    ``lod``/``loq`` may carry a unit; without one they are in the result's unit.
    ``density`` (g/mL) is needed only to compare mg/L with mg/kg.
    Raises :class:`ParseError` for unreadable text and :class:`JudgementError` when the
    result cannot decide conformity (e.g. ``<0.1`` against a limit of 0.05).
    """
    if comparison not in COMPARISONS:
        raise JudgementError(f"比较方法应为 full 或 rounded：{comparison!r}")
    if rule not in RULES:
        raise JudgementError(f"判定规则应为 simple、guarded 或 non-binary：{rule!r}")
    spec = _as_limit(limit)
    if spec.kind == "plan":
        raise JudgementError("采样方案限量需要 n 个结果，请使用 judge_plan")
    res = _as_result(result, spec)
    notes = list(res.notes)
    if spec.qualifier:
        notes.append(f"限量备注：{spec.qualifier}")

    if spec.kind == "declared":
        raise JudgementError(f"限量“{spec.text}”按产品明示值判定，需要提供明示值")
    if spec.kind == "gmp":
        return _judge_gmp(res, spec, comparison, notes)
    if spec.kind in ("not_detected", "not_permitted"):
        # These limits carry no unit: hold LOD/LOQ in the result's unit.
        target = LimitSpec(kind="max", text="", unit=res.unit)
        lod_r = _threshold(lod, res, target, density)
        loq_r = _threshold(loq, res, target, density)
        if lod_r is None and res.lod is not None:
            lod_r = res.lod
        return _judge_prohibited(res, spec, rule, comparison, lod_r, loq_r, notes)

    lod_value = _threshold(lod, res, spec, density)
    loq_value = _threshold(loq, res, spec, density)
    if res.lod is not None and lod_value is None:
        lod_value = _to_limit_unit(res.lod, res.unit, spec, density)
    if res.not_detected:
        return _judge_not_detected(res, spec, rule, comparison, lod_value, notes)
    if res.value is None:
        raise JudgementError(f"结果“{res.text}”为定性结果，无法与数值限量 {spec.display()} 比较")

    value = _to_limit_unit(res.value, res.unit, spec, density)
    if res.qualifier != "=":
        return _judge_censored(res, spec, value, rule, comparison, notes)
    if lod_value is not None and value < lod_value:
        nd = ResultValue(
            text=res.text, unit=res.unit, not_detected=True, lod=res.lod, notes=res.notes
        )
        notes.append(f"结果低于检出限 {format_decimal(lod_value)}{_u(spec.unit)}，按未检出报告")
        return _judge_not_detected(nd, spec, rule, comparison, lod_value, notes)
    if loq_value is not None and value < loq_value:
        notes.append(
            f"结果介于检出限与定量限（{format_decimal(loq_value)}{_u(spec.unit)}）之间，"
            "为检出但未定量的估计值"
        )

    compared = value
    if comparison == "rounded":
        compared = round_gbt8170(value, decimals=_decimals_of(spec))
    u_abs = None
    if rule != "simple":
        if uncertainty is None:
            raise JudgementError(f"判定规则 {rule} 需要扩展不确定度 U（--uncertainty）")
        u_abs = parse_uncertainty(uncertainty).absolute(value, res.unit, spec.unit)
    elif uncertainty is not None:
        u_abs = parse_uncertainty(uncertainty).absolute(value, res.unit, spec.unit)
        notes.append("简单接受规则不使用不确定度，仅作记录")
    verdict = _decide(spec, compared, rule, u_abs)
    reason = (res, spec, value, compared, verdict, rule, comparison, u_abs)
    return Judgement(
        verdict=verdict, reason_source=reason, rule=rule, comparison=comparison, result=res,
        limit=spec, converted=value, compared=compared, uncertainty=u_abs, notes=tuple(notes),
    )  # fmt: skip


def _decide(spec: LimitSpec, x: Decimal, rule: str, u: Decimal | None) -> str:
    """Verdict for a quantified value x (already in the limit's unit and rounded if asked)."""
    low, high, low_strict, high_strict = _bounds(spec)

    def inside(v: Decimal) -> bool:
        if low is not None and (v <= low if low_strict else v < low):
            return False
        if high is not None and (v >= high if high_strict else v > high):
            return False
        return True

    if rule == "simple":
        return "pass" if inside(x) else "fail"
    assert u is not None
    # Worst case within x ± U: does every value conform, or does none?
    all_in = inside(x - u) and inside(x + u) if u else inside(x)
    if rule == "guarded":
        return "pass" if all_in else "fail"
    if all_in:
        return "pass"
    if inside(x):
        return "conditional_pass"
    # Outside: conditional fail if some value within x ± U would conform.
    if _interval_meets(x - u, x + u, low, high, low_strict, high_strict):
        return "conditional_fail"
    return "fail"


def _bounds(spec: LimitSpec) -> tuple[Decimal | None, Decimal | None, bool, bool]:
    if spec.kind == "max":
        high = spec.value
        if spec.tolerance is not None:
            high = high + spec.tolerance  # type: ignore[operator]
        return None, high, False, spec.strict
    if spec.kind == "min":
        low = spec.value
        if spec.tolerance is not None:
            low = low - spec.tolerance  # type: ignore[operator]
        return low, None, spec.strict, False
    if spec.kind == "range":
        return spec.low, spec.high, False, False
    raise JudgementError(f"限量类型 {spec.kind} 不能按数值比较")


def _interval_meets(
    a: Decimal, b: Decimal, low: Decimal | None, high: Decimal | None, ls: bool, hs: bool
) -> bool:
    if high is not None and (a >= high if hs else a > high):
        return False
    if low is not None and (b <= low if ls else b < low):
        return False
    return True


def _limit_phrase(spec: LimitSpec) -> str:
    return f"限量 {spec.display()}"


def _reason(
    res: ResultValue,
    spec: LimitSpec,
    value: Decimal,
    compared: Decimal,
    verdict: str,
    rule: str,
    comparison: str,
    u: Decimal | None,
) -> str:
    unit = _u(spec.unit)
    shown = f"{format_decimal(value)}{unit}"
    if res.unit is not None and spec.unit is not None and res.unit != spec.unit:
        shown = f"{res.display()}（换算为 {format_decimal(value)}{unit}）"
    if comparison == "rounded" and compared != value:
        shown += f"，修约为 {format_decimal(compared)}{unit}"
    method = f"{COMPARISON_ZH[comparison]}，{RULE_ZH[rule]}"
    u_text = f"，扩展不确定度 U={format_decimal(u)}{unit}" if u is not None else ""
    relation = {
        "pass": "符合",
        "fail": "不符合",
        "conditional_pass": "测得值符合但不确定度区间跨越限量，",
        "conditional_fail": "测得值不符合但不确定度区间跨越限量，",
    }[verdict]
    if verdict in ("pass", "fail"):
        return f"检测结果 {shown}{u_text}，{relation}{_limit_phrase(spec)}（{method}），判定{VERDICT_ZH[verdict]}。"
    return (
        f"检测结果 {shown}{u_text}，{relation}相对{_limit_phrase(spec)}（{method}）判定"
        f"{VERDICT_ZH[verdict]}。"
    )


def _judge_not_detected(
    res: ResultValue,
    spec: LimitSpec,
    rule: str,
    comparison: str,
    lod: Decimal | None,
    notes: list[str],
) -> Judgement:
    unit = _u(spec.unit)
    lod_text = f"（检出限 {format_decimal(lod)}{unit}）" if lod is not None else ""
    if spec.kind == "max":
        bound = spec.value + (spec.tolerance or 0)  # type: ignore[operator]
        if lod is not None and (lod > bound or (spec.strict and lod == bound)):
            raise JudgementError(
                f"检出限 {format_decimal(lod)}{unit} 高于{_limit_phrase(spec)}，"
                "未检出不能说明符合限量，需用更灵敏的方法"
            )
        verdict = "pass"
        reason = f"未检出{lod_text}，低于{_limit_phrase(spec)}，判定符合。"
    elif spec.kind in ("min", "range"):
        low = spec.value if spec.kind == "min" else spec.low
        if spec.kind == "min" and spec.tolerance is not None:
            low = low - spec.tolerance  # type: ignore[operator]
        if low is not None and low <= 0:
            raise JudgementError(f"未检出结果无法与下限为 0 的{_limit_phrase(spec)}比较")
        if lod is not None and low is not None and lod > low:
            raise JudgementError(
                f"检出限 {format_decimal(lod)}{unit} 高于{_limit_phrase(spec)}的下限，无法判定"
            )
        verdict = "fail"
        reason = f"未检出{lod_text}，低于{_limit_phrase(spec)}的下限，判定不符合。"
    else:  # pragma: no cover - prohibited limits are handled elsewhere
        raise JudgementError(f"限量类型 {spec.kind} 不适用")
    if rule != "simple":
        notes.append("未检出结果不适用不确定度判定规则，按简单接受规则判定")
    return Judgement(
        verdict=verdict, reason_source=reason, rule="simple", comparison=comparison, result=res,
        limit=spec, converted=None, compared=None, notes=tuple(notes),
    )  # fmt: skip


def _judge_censored(
    res: ResultValue,
    spec: LimitSpec,
    value: Decimal,
    rule: str,
    comparison: str,
    notes: list[str],
) -> Judgement:
    """A result reported as ``<x`` or ``>x``: decide only when every value it allows
    falls on the same side of the limit."""
    low, high, low_strict, high_strict = _bounds(spec)

    def inside(v: Decimal) -> bool:
        if low is not None and (v <= low if low_strict else v < low):
            return False
        if high is not None and (v >= high if high_strict else v > high):
            return False
        return True

    unit = _u(spec.unit)
    shown = f"{res.qualifier}{format_decimal(value)}{unit}"
    if res.qualifier in ("<", "≤"):
        # Allowed values: [0, value) or [0, value].  Since limits here are intervals,
        # the set is inside iff both ends are; outside iff no allowed value is inside.
        ends_inside = inside(Decimal(0)) and inside(value)
        edge_excluded = res.qualifier == "<" and high is not None and value == high
        if ends_inside or (edge_excluded and inside(Decimal(0))):
            verdict: str | None = "pass"
        elif not _interval_meets(Decimal(0), value, low, high, low_strict, high_strict) or (
            res.qualifier == "<" and low is not None and value == low and not low_strict
        ):
            verdict = "fail"
        else:
            verdict = None
    else:  # ">" or "≥": allowed values above `value`, unbounded
        if high is None and low is not None and inside(value):
            verdict = "pass"
        elif high is not None and (
            value > high or (value == high and (res.qualifier == ">" or high_strict))
        ):
            verdict = "fail"
        else:
            verdict = None
    if verdict is None:
        raise JudgementError(
            f"结果 {shown} 只给出界限，无法确定是否符合{_limit_phrase(spec)}，需报告实测值"
        )
    if rule != "simple":
        notes.append("删失结果（<、>）不适用不确定度判定规则，按简单接受规则判定")
    relation = "符合" if verdict == "pass" else "不符合"
    reason = f"检测结果 {shown}，{relation}{_limit_phrase(spec)}，判定{VERDICT_ZH[verdict]}。"
    return Judgement(
        verdict=verdict, reason_source=reason, rule="simple", comparison=comparison, result=res,
        limit=spec, converted=value, compared=value, notes=tuple(notes),
    )  # fmt: skip


def _judge_gmp(res: ResultValue, spec: LimitSpec, comparison: str, notes: list[str]) -> Judgement:
    """按生产需要适量使用: permitted without a numerical maximum; any result conforms."""
    shown = res.display()
    reason = f"检测结果 {shown}；该添加剂在此食品中可按生产需要适量使用，无数值最大使用量，判定符合。"
    return Judgement(
        verdict="pass", reason_source=reason, rule="simple", comparison=comparison, result=res,
        limit=spec, converted=res.value, compared=res.value, notes=tuple(notes),
    )  # fmt: skip


def _judge_prohibited(
    res: ResultValue,
    spec: LimitSpec,
    rule: str,
    comparison: str,
    lod: Decimal | None,
    loq: Decimal | None,
    notes: list[str],
) -> Judgement:
    """不得检出 / 不得使用: any detection at or above the LOD fails."""
    word = "不得检出" if spec.kind == "not_detected" else "不得使用"
    unit_symbol = _u(res.unit)
    lod_text = f"（检出限 {format_decimal(lod)}{unit_symbol}）" if lod is not None else ""
    if rule != "simple":
        notes.append(f"“{word}”按检出与否判定，不适用不确定度判定规则")
    converted = None
    if res.not_detected:
        verdict, reason = "pass", f"未检出{lod_text}，符合“{word}”的规定，判定符合。"
    elif res.detected and res.value is None:
        verdict, reason = "fail", f"检出该物质，违反“{word}”的规定，判定不符合。"
    else:
        value = res.value
        assert value is not None
        converted = value
        shown = res.display()
        if res.qualifier in ("<", "≤"):
            if lod is None or value <= lod:
                verdict = "pass"
                reason = f"检测结果 {shown}，低于检出限，视为未检出，符合“{word}”的规定，判定符合。"
            else:
                raise JudgementError(
                    f"结果 {shown} 高于检出限 {format_decimal(lod)}，无法确定是否检出，需报告实测值"
                )
        elif lod is not None and value < lod:
            verdict = "pass"
            reason = (
                f"检测结果 {shown} 低于检出限{lod_text}，视为未检出，符合“{word}”的规定，判定符合。"
            )
        elif value == 0:
            verdict, reason = "pass", f"检测结果为 0，未检出，符合“{word}”的规定，判定符合。"
        else:
            verdict = "fail"
            where = (
                f"不低于检出限{lod_text}"
                if lod is not None
                else "（未提供检出限，报出数值即视为检出）"
            )
            if loq is not None and value < loq:
                notes.append("结果介于检出限与定量限之间：已检出但未定量")
            reason = f"检测结果 {shown}，{where}，违反“{word}”的规定，判定不符合。"
    return Judgement(
        verdict=verdict, reason_source=reason, rule="simple", comparison=comparison, result=res,
        limit=spec, converted=converted, compared=converted, notes=tuple(notes),
    )  # fmt: skip


# --- sampling plans ------------------------------------------------------------------


def judge_plan(
    results: Sequence[ResultValue | str] | str,
    plan: LimitSpec | str,
) -> PlanJudgement:
    """Judge n results against an n/c/m/M plan: fail if any result exceeds M, or more than
    c exceed m.  For a two-class plan (no M) more than c results above m fail."""
    from .parsing import parse_results

    spec = _as_limit(plan)
    if spec.kind != "plan" or spec.plan is None:
        raise JudgementError(f"{spec.display()} 不是采样方案（n/c/m/M）")
    p = spec.plan
    if isinstance(results, str):
        items = parse_results(results)
    else:
        items = [r if isinstance(r, ResultValue) else parse_result(r) for r in results]
    if len(items) != p.n:
        raise JudgementError(f"采样方案要求 n={p.n} 个结果，实际给出 {len(items)} 个")
    above_m = above_M = 0
    for item in items:
        level = _plan_level(item, p.m, p.M, p.unit)
        above_m += level >= 1
        above_M += level >= 2
    notes: list[str] = []
    if above_M:
        verdict = "fail"
        reason = f"{above_M} 个样品结果超过 M={format_decimal(p.M)}{p.unit.symbol}，判定不符合。"  # type: ignore[arg-type]
    elif above_m > p.c:
        verdict = "fail"
        reason = (
            f"{above_m} 个样品结果超过 m={format_decimal(p.m)}{p.unit.symbol}，"
            f"多于允许的 c={p.c} 个，判定不符合。"
        )
    else:
        verdict = "pass"
        bound = f"且均未超过 M={format_decimal(p.M)}{p.unit.symbol}" if p.M is not None else ""
        reason = (
            f"{p.n} 个样品中 {above_m} 个超过 m={format_decimal(p.m)}{p.unit.symbol}"
            f"（允许 c={p.c} 个）{bound}，判定符合。"
        )
    return PlanJudgement(
        verdict=verdict, reason_zh=reason, limit=spec, results=tuple(items),
        above_m=above_m, above_M=above_M, notes=tuple(notes),
    )  # fmt: skip


def _plan_level(item: ResultValue, m: Decimal, big_m: Decimal | None, unit: Unit) -> int:
    """0: at or below m; 1: above m but not above M; 2: above M (three-class plans only)."""
    if item.not_detected:
        return 0
    if item.detected and item.value is None:
        if unit.kind.startswith("detection"):
            return 1 if big_m is None else _level(Decimal(1), m, big_m)
        raise JudgementError(f"结果“{item.text}”为定性检出，无法与计数方案比较")
    assert item.value is not None
    value = item.value
    if item.unit is not None and item.unit != unit:
        try:
            value = convert(value, item.unit, unit)
        except UnitError as exc:
            raise JudgementError(f"结果“{item.text}”单位与采样方案不符：{exc}") from None
    if item.qualifier == "=":
        return _level(value, m, big_m)
    # A censored count is settled only if every value it allows falls in one class.
    if item.qualifier in ("<", "≤"):
        lowest, highest = Decimal(0), value
    else:
        lowest, highest = value, None
    low_level = _level(lowest, m, big_m) if item.qualifier != ">" else _level_above(value, m, big_m)
    high_level = (
        _level(highest, m, big_m) if highest is not None else (2 if big_m is not None else 1)
    )
    if low_level == high_level:
        return low_level
    raise JudgementError(f"结果“{item.text}”只给出界限，无法确定是否超过 m 或 M，需报告计数值")


def _level(value: Decimal, m: Decimal, big_m: Decimal | None) -> int:
    if big_m is not None and value > big_m:
        return 2
    return 1 if value > m else 0


def _level_above(value: Decimal, m: Decimal, big_m: Decimal | None) -> int:
    # Class of values strictly greater than `value`.
    if big_m is not None and value >= big_m:
        return 2
    return 1 if value >= m else 0


# --- total before species ------------------------------------------------------------


def judge_total_for_species(
    total: ResultValue | str,
    species_limit: LimitSpec | str,
    *,
    total_name: str = "总量",
    species_name: str = "形态",
    comparison: str = "full",
) -> Judgement | None:
    """GB 2762 表3/表4 note a: a total (总汞, 总砷) at or below the species limit (甲基汞,
    无机砷) conforms without speciation.  Returns a pass, or None when the species must be
    measured."""
    spec = _as_limit(species_limit)
    res = _as_result(total, spec)
    outcome = judge(res, spec, comparison=comparison)
    if outcome.verdict != "pass":
        return None
    reason = (
        f"{total_name} {res.display()} 不超过{species_name}限量 {spec.display()}，"
        f"按 GB 2762 规定判定符合，无需测定{species_name}。"
    )
    return Judgement(
        verdict="pass", reason_source=reason, rule=outcome.rule, comparison=outcome.comparison,
        result=outcome.result, limit=spec, converted=outcome.converted,
        compared=outcome.compared, notes=(*outcome.notes, "总量先于形态测定"),
    )  # fmt: skip


# --- batches -------------------------------------------------------------------------


def judge_many(
    pairs: Iterable[tuple[ResultValue | str, LimitSpec | str]],
    *,
    comparison: str = "full",
    rule: str = "simple",
    uncertainty: str | Decimal | Uncertainty | None = None,
    errors: str = "raise",
) -> list[Judgement | JudgementError | ParseError]:
    """Judge many (result, limit) pairs.  Limits are parsed once each (cached) and unit
    factors are cached per pair of units, so no pint Quantity is built per result.

    ``errors="collect"`` puts the exception in place of a failed item instead of raising.
    """
    out: list[Judgement | JudgementError | ParseError] = []
    for result, limit in pairs:
        try:
            out.append(
                judge(result, limit, comparison=comparison, rule=rule, uncertainty=uncertainty)
            )
        except (JudgementError, ParseError, UnitError) as exc:
            if errors == "raise":
                raise
            out.append(exc)  # type: ignore[arg-type]
    return out
