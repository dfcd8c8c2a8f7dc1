"""Check a result against the limit library: look the limit up, then judge.

Pure functions shared by ``lims limits check`` and by the database-backed service:
expressed-as conversion (以NaNO2计 vs 以NO2⁻计), sampling plans, and total before
species (GB 2762 表3/表4 note a).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lims.core.localtime import local_today
from lims.foods.analytes import split_analyte_name

from .index import LimitIndex, LimitMatch, NoLimit, weakest_status
from .judgement import (
    Judgement,
    JudgementError,
    PlanJudgement,
    _to_limit_unit,
    judge,
    judge_plan,
    judge_total_for_species,
)
from .lookup import food_candidates, proportion_function, split_group_item
from .parsing import (
    LimitSpec,
    ParseError,
    ResultValue,
    declared_limit_text,
    parse_limit,
    parse_number,
    parse_result,
    parse_results,
    qualitative_negation,
    qualitative_state,
)
from .records import expressed_as_factor, normalise_expressed_as
from .rounding import format_decimal, round_gbt8170

__all__ = [
    "CheckOutcome",
    "ProportionSum",
    "check_result",
    "check_many",
    "judge_text",
    "looks_like_list",
    "parse_component_results",
    "proportion_sums",
    "rescale",
]


@dataclass(frozen=True)
class CheckOutcome:
    """Verdict of a library check, as the JSON the CLI prints (``data``)."""

    verdict: str
    data: dict[str, Any]
    match: LimitMatch | None = None
    judgement: Judgement | PlanJudgement | None = None
    notes: tuple[str, ...] = field(default=())
    members: tuple[tuple[str, CheckOutcome], ...] = field(default=())

    @property
    def verified(self) -> str | None:
        """Status of the limit row(s) the verdict rests on: yes / secondary / no (None when
        no limit applied).  Anything but ``yes`` is shown as 限量待核."""
        return self.data.get("verified")

    @property
    def limit_unverified(self) -> bool:
        return self.verified is not None and self.verified != "yes"

    @property
    def temporary(self) -> bool:
        """The limit is a temporary MRL (marked * in GB 2763)."""
        return bool(self.data.get("temporary"))

    @property
    def declared_value_required(self) -> bool:
        return bool(self.data.get("declared_value_required"))


def looks_like_list(text: str) -> bool:
    return any(sep in text for sep in (",", "，", ";", "；", "、"))


def judge_text(
    result: str | ResultValue,
    limit_text: str,
    *,
    comparison: str = "full",
    rule: str = "simple",
    uncertainty: str | None = None,
    lod: str | None = None,
    loq: str | None = None,
    density: Decimal | None = None,
    scale: Decimal | None = None,
) -> Judgement | PlanJudgement:
    """Judge result text against limit text; a sampling plan takes a list of results."""
    spec = parse_limit(limit_text)
    if spec.kind == "qualitative":
        return judge_qualitative(result, spec, comparison=comparison)
    if spec.kind == "plan":
        if isinstance(result, ResultValue):
            raise JudgementError("采样方案需要 n 个结果")
        return judge_plan(parse_results(result), spec)
    if isinstance(result, str) and looks_like_list(result):
        raise ParseError(f"限量 {spec.display()} 不是采样方案，只能判定单个结果：{result!r}")
    parsed = (
        result if isinstance(result, ResultValue) else parse_result(result, default_unit=spec.unit)
    )
    if scale is not None:
        parsed = rescale(parsed, scale)
    return judge(
        parsed, spec, comparison=comparison, rule=rule, uncertainty=uncertainty,
        lod=lod, loq=loq, density=density,
    )  # fmt: skip


def judge_qualitative(
    result: str | ResultValue, spec: LimitSpec, *, comparison: str = "full"
) -> Judgement:
    """A limit that is a state (商业无菌): the result states it, or its negation."""
    text = result.text if isinstance(result, ResultValue) else str(result)
    state = qualitative_state(text, spec.text)
    if state is None:
        raise ParseError(f"结果“{text}”应写作“{spec.text}”或“{qualitative_negation(spec.text)}”")
    word = "符合" if state else "不符合"
    reason = f"检测结果：{text}，{word}“{spec.text}”的要求，判定{word}。"
    return Judgement(
        verdict="pass" if state else "fail", reason_source=reason, rule="simple",
        comparison=comparison, result=ResultValue(text=text), limit=spec,
    )  # fmt: skip


def rescale(result: ResultValue, factor: Decimal) -> ResultValue:
    """The result re-expressed (以NO2⁻计 -> 以NaNO2计) by a molar-mass factor.  Molar
    masses carry four significant digits, so the converted value keeps four."""

    def scale(value: Decimal | None) -> Decimal | None:
        if value is None or value == 0:
            return value
        return round_gbt8170(value * factor, significant=4)

    note = f"结果乘以换算系数 {format_decimal(round_gbt8170(factor, significant=4))}（摩尔质量比），保留4位有效数字"
    return ResultValue(
        text=result.text, value=scale(result.value), unit=result.unit,
        qualifier=result.qualifier, not_detected=result.not_detected, detected=result.detected,
        lod=scale(result.lod), notes=(*result.notes, note),
    )  # fmt: skip


def check_result(
    index: LimitIndex,
    item: str,
    foods: str | Sequence[str],
    result: str,
    on: dt.date | None = None,
    *,
    standard: str | None = None,
    basis: str | None = None,
    condition: str | None = None,
    comparison: str | None = None,
    rule: str = "simple",
    uncertainty: str | None = None,
    lod: str | None = None,
    loq: str | None = None,
    density: Decimal | None = None,
    declared: str | None = None,
    components: Mapping[str, str] | None = None,
) -> CheckOutcome:
    """Look up the limit of ``item`` in ``foods`` on ``on`` and judge ``result``.

    THE verdict of lims: the worksheet, ``lims limits check`` and the batch all call it.

    * ``foods``: candidate names, most specific first (``a|b`` also splits).
    * an item that groups analytes (``合成着色剂(柠檬黄、日落黄)``) is judged member by
      member; ``result`` is then ``柠檬黄=0.05g/kg;日落黄=未检出`` (or ``components``),
      or one text for every member (``未检出``).  Same-function GB 2760 additives are
      also judged by the sum of their proportions (附录A A.4).
    * a residue defined as a sum (克百威 = 克百威 + 3-羟基克百威): give the component
      results in ``components`` (or ``result`` as above) and the sum is judged.
    * a limit that is the product's declared value (明示值) needs ``declared``: the
      declared limit (``≥3.0g/100g``) or value (``52%vol``) recorded at receipt.

    ``data["verified"]`` (also :attr:`CheckOutcome.verified`) says whether the limit row
    was checked against the standard's text; ``data["temporary"]`` marks a temporary MRL.
    Raises ParseError/JudgementError/UnitError for unreadable or undecidable input.
    ``comparison`` defaults to the standard's (full-value unless it says otherwise).
    """
    day = on or local_today()
    names = food_candidates(foods)
    parts = dict(components or {})
    if not parts and "=" in result and not looks_like_plan(result):
        parts = parse_component_results(result)
    options = {
        "standard": standard, "basis": basis, "condition": condition,
        "comparison": comparison, "rule": rule, "uncertainty": uncertainty, "lod": lod,
        "loq": loq, "density": density, "declared": declared,
    }  # fmt: skip
    function = proportion_function(item)
    if function is not None:
        return _check_proportion(index, item, function, names, result, day, parts)
    group, members = split_group_item(index, item)
    if group is not None:
        return _check_group(index, item, group, members, names, result, day, parts, options)
    return _check_one(index, item, names, result, day, parts, **options)


_PLAN_TEXT = re.compile(r"^\s*[ncmM]\s*=")


def looks_like_plan(text: str) -> bool:
    """``n=5,c=0,…`` is a limit, never a result; results never hold ``=`` otherwise."""
    return bool(_PLAN_TEXT.match(text))


def parse_component_results(text: str) -> dict[str, str]:
    """``柠檬黄=0.05g/kg;日落黄=未检出`` -> {name: result text}."""
    out: dict[str, str] = {}
    for part in text.replace("；", ";").split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ParseError(f"无法识别的分项结果：{part.strip()!r}（应写作 名称=结果;名称=结果）")
        if name.strip() in out:
            raise ParseError(f"分项结果重复：{name.strip()}")
        out[name.strip()] = value.strip()
    if not out:
        raise ParseError(f"无法识别的分项结果：{text!r}")
    return out


def _pick(index: LimitIndex, parts: Mapping[str, str], name: str) -> str | None:
    key = index.canonical_analyte(name)
    for given, value in parts.items():
        if index.canonical_analyte(given) == key:
            return value
    return None


def _check_one(
    index: LimitIndex,
    item: str,
    names: list[str],
    result: str,
    day: dt.date,
    parts: Mapping[str, str],
    *,
    standard: str | None,
    basis: str | None,
    condition: str | None,
    comparison: str | None,
    rule: str,
    uncertainty: str | None,
    lod: str | None,
    loq: str | None,
    density: Decimal | None,
    declared: str | None,
) -> CheckOutcome:
    wanted = split_analyte_name(item)
    # Read the result first so that a typo is reported even when no limit exists.
    if parts:
        for text in parts.values():
            parse_result(text)
    elif looks_like_list(result):
        parse_results(result)
    elif qualitative_state(result) is None:
        parse_result(result)
    match = index.lookup(item, names, day, standard=standard, basis=basis, condition=condition)
    if isinstance(match, NoLimit):
        species = None
        if not parts:
            species = _species_fallback(index, item, names, day, standard, result, comparison)
        if species is not None:
            return species
        # by_food: the food named is a category whose foods carry different limits
        # (谷物加工品 -> 大米 0.2, 糙米 0.35): no verdict until the specific food is given
        verdict_zh = "需指明具体食品" if match.code == "by_food" else "无限量"
        data = {
            "verdict": "no_limit", "verdict_zh": verdict_zh, "reason": match.reason, "rule": rule,
            "comparison": comparison or "full", "limit": None, "result": {"text": result},
            "lookup": {"date": day.isoformat(), "code": match.code},
            "candidates": [c.to_dict(index.graph) for c in match.candidates], "notes": [],
            "verified": None, "temporary": False, "declared_value_required": False,
        }  # fmt: skip
        return CheckOutcome(verdict="no_limit", data=data)
    row = match.row
    notes = list(match.notes)
    limit_text = row.limit_text
    if match.declared_value_required:
        if not declared:
            data = {
                "verdict": "no_limit", "verdict_zh": "无限量",
                "reason": (
                    f"{match.standard.code} {row.clause}：“{row.category_text}”的{wanted.key}"
                    f"按产品明示值判定（{row.limit_text}），需在收样时登记执行标准与明示值"
                ),
                "rule": rule, "comparison": comparison or "full",
                "limit": match.to_dict(index.graph), "result": {"text": result},
                "lookup": {"date": day.isoformat(), "food": match.food, "code": "declared"},
                "notes": notes, "verified": match.verified, "temporary": match.temporary,
                "declared_value_required": True,
            }  # fmt: skip
            return CheckOutcome(verdict="no_limit", data=data, match=match)
        limit_text = declared_limit_text(row.spec, declared)
        notes.append(f"按产品明示值判定：明示 {declared}，限量 {limit_text}")
    scale = None
    item_expr = normalise_expressed_as(wanted.expressed_as)
    row_expr = normalise_expressed_as(row.expressed_as)
    if item_expr and row_expr and item_expr != row_expr:
        scale = expressed_as_factor(item_expr, row_expr)
        if scale is None:
            raise JudgementError(f"检验项目{item_expr}，限量{row_expr}，本库没有两者的换算系数")
        notes.append(f"结果由{item_expr}换算为{row_expr}")
    judged: str | ResultValue = result
    if parts:
        judged = _sum_components(index, wanted.key, match, parse_limit(limit_text), parts)
    outcome = judge_text(
        judged, limit_text, comparison=comparison or match.standard.comparison, rule=rule,
        uncertainty=uncertainty, lod=lod, loq=loq, density=density, scale=scale,
    )  # fmt: skip
    data = outcome.to_dict()
    declared_limit = data["limit"]
    data["limit"].update(match.to_dict(index.graph))
    if match.declared_value_required:
        data["limit"]["display"] = declared_limit.get("display")
        data["limit"]["declared"] = declared
    data["notes"] = [*notes, *data.get("notes", [])]
    data["lookup"] = {"date": day.isoformat(), "food": match.food, "food_code": match.food_code}
    data["verified"] = match.verified
    data["temporary"] = match.temporary
    data["declared_value_required"] = match.declared_value_required
    return CheckOutcome(verdict=outcome.verdict, data=data, match=match, judgement=outcome)


def _sum_components(
    index: LimitIndex,
    analyte: str,
    match: LimitMatch,
    spec: LimitSpec,
    parts: Mapping[str, str],
) -> ResultValue:
    """The residue as its definition sums it: each component result (in the limit's unit)
    times its factor.  A component not detected counts 0; all not detected is 未检出."""
    definition = index.residue_definition(analyte, match.standard.family)
    if not definition:
        own = _pick(index, parts, analyte)
        if own is not None and len(parts) == 1:
            return parse_result(own, default_unit=spec.unit)
        raise JudgementError(f"“{analyte}”的残留物定义不是各组分之和，不能由分项结果计算")
    if spec.kind not in ("max", "min", "range", "not_detected", "not_permitted"):
        raise JudgementError(f"限量 {spec.display()} 不能按组分之和判定")
    total = Decimal(0)
    shown: list[str] = []
    detected = False
    unit = spec.unit
    for part in definition:
        text = _pick(index, parts, part.component)
        if text is None:
            raise JudgementError(f"“{analyte}”为各组分之和，缺少组分“{part.component}”的结果")
        value = parse_result(text, default_unit=unit)
        factor = parse_number(part.factor)
        times = "" if factor == 1 else f"×{format_decimal(factor)}"
        if value.not_detected:
            shown.append(f"{part.component} 未检出（按0计）")
            continue
        if value.value is None or value.qualifier not in ("=",):
            raise JudgementError(f"组分“{part.component}”的结果 {text} 不是数值，无法求和")
        detected = True
        amount = _to_limit_unit(value.value, value.unit, spec, None) if unit else value.value
        total += amount * factor
        shown.append(f"{part.component} {format_decimal(amount)}{times}")
    symbol = unit.symbol if unit else ""
    definition_text = "+".join(p.component for p in definition)
    note = f"残留物定义：{analyte} = {definition_text}；{' + '.join(shown)} = {format_decimal(total)}{symbol}"
    if not detected:
        return ResultValue(text="未检出", unit=unit, not_detected=True, notes=(note,))
    return ResultValue(
        text=f"{format_decimal(total)}{symbol}", value=total, unit=unit, qualifier="=",
        notes=(note,),
    )  # fmt: skip


_SEVERITY = ("pass", "conditional_pass", "no_limit", "conditional_fail", "fail")


def _check_group(
    index: LimitIndex,
    item: str,
    group: str,
    members: tuple[str, ...],
    names: list[str],
    result: str,
    day: dt.date,
    parts: Mapping[str, str],
    options: dict[str, Any],
) -> CheckOutcome:
    """An item that groups analytes: each member judged on its own limit, then the A.4
    sum of proportions over same-function additives; the worst verdict is the item's."""
    outcomes: list[tuple[str, CheckOutcome]] = []
    skipped: list[str] = []
    given: dict[str, str] = {}
    if parts:
        wanted = {index.canonical_analyte(m) for m in members}
        stray = [n for n in parts if index.canonical_analyte(n) not in wanted]
        if stray:
            raise ParseError(f"“{'、'.join(stray)}”不是“{item}”的组分")
    for member in members:
        text = _pick(index, parts, member) if parts else result
        if text is None:
            skipped.append(member)
            continue
        given[member] = text
        outcomes.append((member, _check_one(index, member, names, text, day, {}, **options)))
    if not outcomes:
        raise ParseError(f"“{item}”没有任何组分的结果")
    sums = proportion_sums(index, names, given, day)
    verdicts = [o.verdict for _, o in outcomes] + [p.verdict for p in sums]
    verdict = max(verdicts, key=_SEVERITY.index)
    lines = [f"{name}：{o.data.get('verdict_zh', '')}（{o.data.get('reason', '')}）" for name, o in outcomes]
    lines.extend(p.reason for p in sums)
    notes = [f"未提供结果、未判定的组分：{'、'.join(skipped)}"] if skipped else []
    statuses = [o.verified for _, o in outcomes if o.verified]
    from .judgement import VERDICT_ZH

    data = {
        "verdict": verdict, "verdict_zh": VERDICT_ZH[verdict],
        "reason": "；".join(lines), "rule": options["rule"],
        "comparison": options["comparison"] or "full", "limit": None,
        "result": {"text": result}, "item": item, "group": group,
        "members": [{"analyte": name, **o.data} for name, o in outcomes],
        "proportion_sums": [p.to_dict() for p in sums], "notes": notes,
        "lookup": {"date": day.isoformat(), "foods": names},
        "verified": weakest_status(statuses) if statuses else None,
        "temporary": any(o.temporary for _, o in outcomes),
        "declared_value_required": any(o.declared_value_required for _, o in outcomes),
    }  # fmt: skip
    return CheckOutcome(verdict=verdict, data=data, members=tuple(outcomes))


# --- GB 2760 附录A A.4: sum of proportions ----------------------------------------------


def _check_proportion(
    index: LimitIndex,
    item: str,
    function: str,
    names: list[str],
    result: str,
    day: dt.date,
    parts: Mapping[str, str],
) -> CheckOutcome:
    """The rules item "防腐剂混合使用时…比例之和": judged from the sample's additive results."""
    from .judgement import VERDICT_ZH

    match = index.proportion_rule(function, names, day)
    if isinstance(match, NoLimit):
        data = {
            "verdict": "no_limit", "verdict_zh": "无限量", "reason": match.reason,
            "rule": "simple", "comparison": "full", "limit": None, "result": {"text": result},
            "lookup": {"date": day.isoformat(), "code": match.code}, "notes": [],
            "verified": None, "temporary": False, "declared_value_required": False,
        }  # fmt: skip
        return CheckOutcome(verdict="no_limit", data=data)
    if not parts:
        raise ParseError(
            f"“{item}”由各添加剂的结果计算，请写作 苯甲酸及其钠盐=0.5g/kg;山梨酸及其钾盐=0.3g/kg"
        )
    sums = proportion_sums(index, names, parts, day, functions=(function,), at_least=1)
    if not sums:
        raise JudgementError(f"所给结果中没有在该食品中具有数值型最大使用量的{function}")
    verdict = max((p.verdict for p in sums), key=_SEVERITY.index)
    data = {
        "verdict": verdict, "verdict_zh": VERDICT_ZH[verdict],
        "reason": "；".join(p.reason for p in sums), "rule": "simple", "comparison": "full",
        "limit": {**match.to_dict(index.graph), "display": "≤1"}, "result": {"text": result},
        "item": item, "proportion_sums": [p.to_dict() for p in sums], "notes": list(match.notes),
        "lookup": {"date": day.isoformat(), "food": match.food, "food_code": match.food_code},
        "verified": match.verified, "temporary": False, "declared_value_required": False,
    }  # fmt: skip
    return CheckOutcome(verdict=verdict, data=data, match=match)


PROPORTION_FUNCTIONS = ("防腐剂", "抗氧化剂", "着色剂")


@dataclass(frozen=True)
class ProportionSum:
    """GB 2760-2024 附录A A.4: same-function additives (相同色泽着色剂、防腐剂、抗氧化剂) with a
    numerical maximum, used together: the sum of each use over its maximum is at most 1."""

    function: str
    parts: tuple[tuple[str, Decimal, Decimal, str], ...]  # analyte, amount, maximum, unit
    total: Decimal

    @property
    def verdict(self) -> str:
        return "pass" if self.total <= 1 else "fail"

    @property
    def reason(self) -> str:
        terms = " + ".join(
            f"{name} {format_decimal(amount)}/{format_decimal(maximum)}"
            for name, amount, maximum, _ in self.parts
        )
        shown = format_decimal(round_gbt8170(self.total, decimals=3))
        word = "不超过 1，符合" if self.verdict == "pass" else "超过 1，不符合"
        return (
            f"GB 2760 附录A A.4（{self.function}混合使用）：各自用量占最大使用量的比例之和 "
            f"{terms} = {shown}，{word}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "parts": [
                {"analyte": n, "amount": format_decimal(a), "maximum": format_decimal(m),
                 "unit": u, "ratio": format_decimal(round_gbt8170(a / m, decimals=4))}
                for n, a, m, u in self.parts
            ],  # fmt: skip
            "total": format_decimal(_plain(self.total)),
            "verdict": self.verdict,
            "reason": self.reason,
        }


def _plain(value: Decimal) -> Decimal:
    """Trailing zeros dropped (a ratio has no measurement digits to keep), never 1E+1."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def proportion_sums(
    index: LimitIndex,
    foods: str | Sequence[str],
    results: Mapping[str, str],
    on: dt.date | None = None,
    *,
    functions: Sequence[str] = PROPORTION_FUNCTIONS,
    at_least: int = 2,
) -> list[ProportionSum]:
    """The A.4 sums over a sample's additive results ({analyte: result text}).

    Only additives with a numerical maximum in the food count; a result not detected
    counts 0.  A function group is reported when two or more of its additives are used.
    """
    day = on or local_today()
    names = food_candidates(foods)
    groups: dict[str, list[tuple[str, Decimal, Decimal, str]]] = {}
    for analyte, text in results.items():
        key = index.canonical_analyte(analyte)
        additive = index.additives.get(key)
        if additive is None:
            continue
        match = index.lookup(analyte, names, day)
        if not isinstance(match, LimitMatch) or match.absent or match.spec.kind != "max":
            continue
        spec = match.spec
        if not spec.value:
            continue
        value = parse_result(text, default_unit=spec.unit)
        if value.not_detected:
            continue
        if value.value is None:
            continue
        amount = _to_limit_unit(value.value, value.unit, spec, None)
        unit = spec.unit.symbol if spec.unit else ""
        for function in additive.functions:
            if function not in PROPORTION_FUNCTIONS or function not in functions:
                continue
            if function == "着色剂":
                if not additive.colour:
                    continue
                label = f"{additive.colour}色着色剂"
            else:
                label = function
            groups.setdefault(label, []).append((key, amount, spec.value, unit))
    out = []
    for label, parts in groups.items():
        if len(parts) < at_least:
            continue
        total = sum((a / m for _, a, m, _ in parts), Decimal(0))
        out.append(ProportionSum(label, tuple(parts), total))
    return out


def _species_fallback(
    index: LimitIndex,
    item: str,
    names: list[str],
    day: dt.date,
    standard: str | None,
    result: str,
    comparison: str | None,
) -> CheckOutcome | None:
    """No limit for the total (总汞, 总砷) but one for the species (甲基汞, 无机砷): a total
    at or below the species limit conforms without speciation."""
    total = index.canonical_analyte(item)
    screen = index.species_limit(item, names, day, standard=standard)
    if screen is None:
        return None
    species, found = screen
    outcome = judge_total_for_species(
        result, found.spec, total_name=total, species_name=species,
        comparison=comparison or found.standard.comparison,
    )  # fmt: skip
    limit = {"display": found.spec.display(), **found.to_dict(index.graph)}
    if outcome is not None:
        data = outcome.to_dict()
        data["limit"].update(limit)
        data["lookup"] = {"date": day.isoformat(), "food": found.food, "species": species}
        data.update(verified=found.verified, temporary=found.temporary,
                    declared_value_required=False)
        return CheckOutcome(verdict="pass", data=data, match=found, judgement=outcome)
    data = {
        "verdict": "no_limit", "verdict_zh": "无限量",
        "reason": (
            f"{found.standard.code} 对“{found.food}”未规定{total}限量；结果 {result} "
            f"超过{species}限量 {found.spec.display()}，需测定{species}后再判定。"
        ),
        "rule": "simple", "comparison": comparison or "full", "limit": limit,
        "result": {"text": result}, "requires": species, "notes": ["总量先于形态测定"],
        "lookup": {"date": day.isoformat(), "food": found.food, "species": species},
    }  # fmt: skip
    data.update(verified=found.verified, temporary=found.temporary,
                declared_value_required=False)
    return CheckOutcome(verdict="no_limit", data=data, match=found)


def check_many(
    index: LimitIndex,
    queries: Sequence[tuple[str, str | Sequence[str], dt.date | None, str]],
    *,
    comparison: str | None = None,
    rule: str = "simple",
) -> list[Judgement | PlanJudgement | NoLimit | Exception]:
    """Batch check of (item, food(s), date, result) tuples.

    Lookups are memoised by the index, limits are parsed once per row and unit factors
    are cached per pair, so the cost per result is parsing it and comparing Decimals.
    Returns, per query, a Judgement (or PlanJudgement), a NoLimit, or the exception that
    made the result unreadable, so one bad result does not stop the batch.
    """
    out: list[Judgement | PlanJudgement | NoLimit | Exception] = []
    for item, foods, day, result in queries:
        match = index.lookup(item, foods, day or local_today())
        if isinstance(match, NoLimit):
            out.append(match)
            continue
        try:
            spec = match.row.spec
            if spec.kind == "plan":
                out.append(judge_plan(parse_results(result), spec))
            else:
                out.append(
                    judge(
                        parse_result(result, default_unit=spec.unit),
                        spec,
                        comparison=comparison or match.standard.comparison,
                        rule=rule,
                    )  # fmt: skip
                )
        except (ParseError, JudgementError, ValueError) as exc:
            out.append(exc)
    return out
