"""Entry of a drug test's result: the figures the general chapter asks for, judged at once
by lims.drugs.judgement, stored as the test's TestResult (so the 检验 → 审核 → 批准
signatures and the report work as for food).

A result is stored only with a verdict: when the chapter asks for a retest (溶出度 6 more,
含量均匀度 20 more) the entry is refused with that message and nothing is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal

from lims.audit.context import change_reason
from lims.drugs import judgement as jg
from lims.drugs import services
from lims.drugs.monographs import MonographError, MonographItem
from lims.extensions import db
from lims.instruments.services import local_date
from lims.results.errors import ResultError
from lims.results.models import ResultStatus, TestResult, Verdict
from lims.results.records import (
    check_bench,
    check_version,
    own_lab,
    result_for_test,
    settle_entry,
    snapshot,
)
from lims.samples.models import SampleTest
from lims.users.models import User

_SPLIT = re.compile(r"[\s,，;；、]+")

# What each kind asks for on the entry form: (field, Chinese label, hint)
FIELDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "qualitative": (("conforms", "结论", "1 = 符合规定，0 = 不符合规定"),
                    ("evidence", "观察/检验记录", "所见现象、色谱保留时间等")),
    "content": (("found", "每单位测得量", "与规格同单位，如 0.2478"),),
    "limit": (("value", "测定值", ""),),
    "dissolution": (("first", "初试 6 个单位溶出量（%）", "以空格或逗号分隔"),
                    ("retest", "复试 6 个单位（%）", "仅在需复试时填写")),
    "release": (("points", "各时间点溶出量（%）", "每行一个时间点：初试 6 个值 | 复试 6 个值"),),
    "enteric": (("acid", "酸中 6 个单位（%）", ""),
                ("first", "缓冲液中初试 6 个单位（%）", ""),
                ("retest", "缓冲液中复试 6 个单位（%）", "仅在需复试时填写")),
    "uniformity": (("first", "初试 10 个单位含量（标示量%）", ""),
                   ("retest", "复试 20 个单位（标示量%）", "仅在需复试时填写")),
    "weight_variation": (("weights", "各单位重量（g）", "片剂、胶囊 20 个，颗粒、丸剂 10 个"),
                         ("labelled", "标示重量（g）", "品种规定时填写，否则按平均重量")),
    "microbial": (("tamc", "需氧菌总数（cfu/g 或 cfu/mL）", ""),
                  ("tymc", "霉菌和酵母菌总数", ""),
                  ("detected", "检出的控制菌", "未检出请留空")),
}


def _values(text: object) -> list[str]:
    return [v for v in _SPLIT.split(str(text or "").strip()) if v]


def judge(item: MonographItem, inputs: Mapping[str, object], *,
          labelled: Decimal | None) -> tuple[jg.Judgement, Decimal, str, str]:
    """(judgement, value, reported text, unit) for one item's inputs; raises ResultError."""
    text = {k: str(v or "").strip() for k, v in inputs.items()}
    try:
        if item.kind == "qualitative":
            if text.get("conforms") not in ("0", "1"):
                raise ResultError("请选择结论：符合规定或不符合规定", "conforms")
            ok = text["conforms"] == "1"
            found = jg.judge_qualitative(ok, text.get("evidence", ""), item=item.name)
            return found, Decimal(1 if ok else 0), found.outcome_zh, ""
        if item.kind == "content":
            if labelled is None:
                raise ResultError("样品登记的规格不是每单位含量（如 0.25g），无法按标示量计算", "found")
            if not text.get("found"):
                raise ResultError("请填写每单位测得量", "found")
            found = jg.judge_content(text["found"], labelled, item.low, item.high,
                                     decimals=item.decimals)
            pct = Decimal(found.figures["value"])
            return found, pct, found.figures["reported"], "%"
        if item.kind == "limit":
            if not text.get("value"):
                raise ResultError("请填写测定值", "value")
            found = jg.judge_range(text["value"], item.low, item.high, decimals=item.decimals,
                                   unit=item.unit, what=item.name)
            return (found, Decimal(found.figures["value"]), found.figures["reported"],
                    item.unit)
        if item.kind == "dissolution":
            found = jg.judge_release(_values(text.get("first")), _values(text.get("retest")),
                                     low=item.q)
        elif item.kind == "release":
            lines = [line for line in text.get("points", "").splitlines() if line.strip()]
            if len(lines) != len(item.points):
                raise ResultError(f"应填写 {len(item.points)} 个时间点（每行一个），实际 "
                                  f"{len(lines)} 行", "points")
            points = []
            for line, point in zip(lines, item.points, strict=True):
                first, _sep, retest = line.partition("|")
                points.append((_values(first), _values(retest), point.low, point.high))
            found = jg.judge_release_points(points)
        elif item.kind == "enteric":
            acid = jg.judge_enteric_acid(_values(text.get("acid")), limit=item.acid_limit)
            buffer = jg.judge_release(_values(text.get("first")), _values(text.get("retest")),
                                      low=item.q)
            outcome = jg.overall([acid.outcome, buffer.outcome])
            found = jg.Judgement(outcome, f"{acid.reason}；缓冲液中：{buffer.reason}",
                                 buffer.figures, "dissolution")
        elif item.kind == "uniformity":
            found = jg.judge_uniformity(_values(text.get("first")), _values(text.get("retest")),
                                        limit=item.uniformity_limit, target=item.target)
        elif item.kind == "weight_variation":
            found = jg.judge_weight_variation(item.form or "", _values(text.get("weights")),
                                              labelled=text.get("labelled") or None)
        elif item.kind == "microbial":
            if not text.get("tamc") or not text.get("tymc"):
                raise ResultError("请填写需氧菌总数和霉菌和酵母菌总数", "tamc")
            detected = set(_values(text.get("detected")))
            unknown = detected - {a.split("（")[0] for a in item.absent} - set(item.absent)
            if unknown:
                raise ResultError(f"不是本品种规定的控制菌：{'、'.join(sorted(unknown))}",
                                  "detected")
            parts = [jg.judge_microbial_count(text["tamc"], item.tamc or 0, what="需氧菌总数"),
                     jg.judge_microbial_count(text["tymc"], item.tymc or 0,
                                              what="霉菌和酵母菌总数")]
            parts += [jg.judge_absent(a in detected or a.split("（")[0] in detected,
                                      organism=a.split("（")[0]) for a in item.absent]
            found = jg.Judgement(jg.overall(p.outcome for p in parts),
                                 "；".join(p.reason for p in parts), {}, "microbial")
        else:
            raise ResultError(f"未知的判定类型：{item.kind}")
    except jg.JudgementInputError as exc:
        raise ResultError(str(exc)) from None
    if found.outcome == jg.Outcome.RETEST:
        raise ResultError(f"{found.reason}。请录入复试数据后再保存", "retest")
    # the key figure (mean of the units, or the reference weight); 1/0 for the rest
    key = found.figures.get("mean") or found.figures.get("reference")
    value = Decimal(key) if key else Decimal(1 if found.passed else 0)
    return found, value, found.outcome_zh, ""


def enter_drug_result(test: SampleTest, user: User, inputs: Mapping[str, object], *,
                      expected_version: int | None = None, reason: str | None = None
                      ) -> TestResult:
    """Judge and store one drug test's result (a change to a saved one needs a reason and
    drops its signatures, as for food results)."""
    own_lab(user, test)
    check_bench(user, test)
    drug = services.drug_of(test.sample)
    if drug is None:
        raise ResultError(f"样品 {test.sample.number} 不是药品样品")
    try:
        item = services.monograph_item(drug, test.test_item)
    except MonographError as exc:
        raise ResultError("；".join(exc.problems)) from None
    result = result_for_test(test)
    if result is not None and result.status == ResultStatus.APPROVED:
        raise ResultError("已批准的结果不能修改；如需更正请由授权签字人处理")
    if result is not None:
        check_version(result, expected_version)
    saved = result is not None and result.value is not None
    reason = (reason or "").strip()
    if saved and not reason:
        raise ResultError("修改已保存的结果必须填写原因", "reason")
    found, value, reported, unit = judge(item, inputs, labelled=drug.labelled_amount)
    rule = jg.RULE_SOURCES.get(found.rule)
    note = "" if item.verified and (rule is None or rule.verified) else \
        "（判定依据未对照标准原文核实）"
    with change_reason(reason or None):
        before = snapshot(result) if saved else None
        if result is None:
            result = TestResult(sample_test=test, method_key=f"ChP:{item.method}"[:120],
                                status=ResultStatus.DRAFT, tested_by_id=user.id,
                                tested_on=local_date(), detected=True)
            db.session.add(result)
        result.inputs_json = json.dumps({k: {"value": str(v or "").strip(), "unit": "",
                                             "reading_id": None} for k, v in inputs.items()},
                                        ensure_ascii=False, sort_keys=True)
        result.value = value
        result.reported_value = reported[:40]
        result.unit = unit
        result.detected = True
        result.lod = result.loq = None
        result.limit_text = item.limit_text[:120]
        result.limit_standard = drug.monograph.standard[:120]
        result.verdict = Verdict.PASS.value if found.passed else Verdict.FAIL.value
        result.verdict_reason = found.reason + note
        result.tested_by_id = user.id
        result.tested_on = local_date()
        return settle_entry(result, test, user, before=before, reason=reason)
