"""Check a result against the limit library: look the limit up, then judge.

Pure functions shared by ``lims limits check`` and by the database-backed service:
expressed-as conversion (以NaNO2计 vs 以NO2⁻计), sampling plans, and total before
species (GB 2762 表3/表4 note a).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lims.core.localtime import local_today
from lims.foods.analytes import split_analyte_name

from .judgement import (
    Judgement,
    JudgementError,
    PlanJudgement,
    judge,
    judge_plan,
    judge_total_for_species,
)
from .library import LimitIndex, LimitMatch, NoLimit, expressed_as_factor, normalise_expressed_as
from .parsing import ParseError, ResultValue, parse_limit, parse_result, parse_results
from .rounding import format_decimal, round_gbt8170

__all__ = ["CheckOutcome", "check_result", "check_many", "judge_text", "looks_like_list", "rescale"]


@dataclass(frozen=True)
class CheckOutcome:
    """Verdict of a library check, as the JSON the CLI prints (``data``)."""

    verdict: str
    data: dict[str, Any]
    match: LimitMatch | None = None
    judgement: Judgement | PlanJudgement | None = None
    notes: tuple[str, ...] = field(default=())


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
) -> CheckOutcome:
    """Look up the limit of ``item`` in ``foods`` on ``on`` and judge ``result``.

    Raises ParseError/JudgementError/UnitError for unreadable or undecidable input.
    ``comparison`` defaults to the standard's (full-value unless it says otherwise).
    """
    day = on or local_today()
    names = [foods] if isinstance(foods, str) else list(foods)
    wanted = split_analyte_name(item)
    # Read the result first so that a typo is reported even when no limit exists.
    if looks_like_list(result):
        parse_results(result)
    else:
        parse_result(result)
    match = index.lookup(item, names, day, standard=standard, basis=basis, condition=condition)
    if isinstance(match, NoLimit):
        species = _species_fallback(index, item, names, day, standard, result, comparison)
        if species is not None:
            return species
        data = {
            "verdict": "no_limit", "verdict_zh": "无限量", "reason": match.reason, "rule": rule,
            "comparison": comparison or "full", "limit": None, "result": {"text": result},
            "lookup": {"date": day.isoformat(), "code": match.code},
            "candidates": [c.to_dict(index.graph) for c in match.candidates], "notes": [],
        }  # fmt: skip
        return CheckOutcome(verdict="no_limit", data=data)
    row = match.row
    notes = list(match.notes)
    scale = None
    item_expr = normalise_expressed_as(wanted.expressed_as)
    row_expr = normalise_expressed_as(row.expressed_as)
    if item_expr and row_expr and item_expr != row_expr:
        scale = expressed_as_factor(item_expr, row_expr)
        if scale is None:
            raise JudgementError(f"检验项目{item_expr}，限量{row_expr}，本库没有两者的换算系数")
        notes.append(f"结果由{item_expr}换算为{row_expr}")
    outcome = judge_text(
        result, row.limit_text, comparison=comparison or match.standard.comparison, rule=rule,
        uncertainty=uncertainty, lod=lod, loq=loq, density=density, scale=scale,
    )  # fmt: skip
    data = outcome.to_dict()
    data["limit"].update(match.to_dict(index.graph))
    data["notes"] = [*notes, *data.get("notes", [])]
    data["lookup"] = {"date": day.isoformat(), "food": match.food, "food_code": match.food_code}
    return CheckOutcome(verdict=outcome.verdict, data=data, match=match, judgement=outcome)


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
    for species in index.species_of(item):
        found = index.lookup(species, names, day, standard=standard)
        if not isinstance(found, LimitMatch) or found.spec.kind != "max":
            continue
        outcome = judge_total_for_species(
            result, found.spec, total_name=total, species_name=species,
            comparison=comparison or found.standard.comparison,
        )  # fmt: skip
        limit = {"display": found.spec.display(), **found.to_dict(index.graph)}
        if outcome is not None:
            data = outcome.to_dict()
            data["limit"].update(limit)
            data["lookup"] = {"date": day.isoformat(), "food": found.food, "species": species}
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
        return CheckOutcome(verdict="no_limit", data=data, match=found)
    return None


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
