"""Worksheets and result entry: inputs typed or captured from an instrument, computed by the
method, rounded per GB/T 8170 and judged by the limits engine at once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from lims.audit.context import change_reason
from lims.capabilities.models import LabCapability
from lims.extensions import db
from lims.instruments.models import InstrumentReading
from lims.instruments.services import local_date
from lims.limits.rounding import format_decimal
from lims.methods.method import Method, MethodInputError
from lims.results.errors import (
    ResultError,
    ResultNotFound,
)
from lims.results.models import (
    Detection,
    ResultChange,
    ResultStatus,
    TestResult,
    Verdict,
    Worksheet,
)
from lims.results.records import (
    MAX_ID,
    back_to_testing,
    capability_for,
    check_bench,
    check_version,
    custody_event,
    flush_or_stale,
    invalidate,
    lab_capabilities,
    method_choices,
    method_for,
    method_label,
    own_lab,
    require,
    result_for_test,
    settle_entry,
    snapshot,
)
from lims.samples.declared import declared_for
from lims.samples.models import SampleTest
from lims.samples.numbering import next_value
from lims.users.models import User
from lims.users.roles import Permission

_MASS_FACTORS = {"mg": Decimal("0.001"), "g": Decimal(1), "kg": Decimal(1000)}


def _new_result(test: SampleTest, user: User, method: Method | None) -> TestResult:
    """A draft result; without a method (the declared one has no method file) it waits for
    the technician to switch to another declared method."""
    declared = lab_capabilities(test)
    return TestResult(sample_test=test, method_key=method.code if method else "",
                      inputs_json="{}",
                      method_standard=(method_label(method) if method else
                                       (declared[0].method_standard if declared else
                                        test.method_standard))[:160] or None,
                      capability=capability_for(test, method) if method else
                      (declared[0] if declared else None), detection="detected",
                      unit=method.result_unit if method else "", reported_value="", detected=True,
                      verdict=Verdict.NOT_JUDGED.value, verdict_reason="",
                      status=ResultStatus.DRAFT, tested_by_id=user.id, tested_on=local_date())


def create_worksheet(user: User, test_ids: list[int], title: str | None = None) -> Worksheet:
    """Group assigned tests on a new worksheet, with an empty draft result per test."""
    require(user, Permission.ENTER_RESULT, "建立工作单")
    ids = list(dict.fromkeys(int(i) for i in test_ids))
    if not ids:
        raise ResultError("请至少选择一个检验项目", "tests")
    if any(not 0 < i <= MAX_ID for i in ids):
        raise ResultNotFound("未找到所选检验项目")
    tests = {t.id: t for t in db.session.scalars(sa.select(SampleTest)
                                                 .where(SampleTest.id.in_(ids)))}
    errors, plan = [], []
    for test_id in ids:
        test = tests.get(test_id)
        if test is None or test.lab_org_id != user.org_id:
            raise ResultNotFound(f"未找到检验项目 {test_id}")
        try:
            check_bench(user, test)
            existing = result_for_test(test)
            if existing is not None and existing.worksheet_id is not None:
                raise ResultError(f"{test.sample.number}“{test.test_item.name_zh}”已在工作单 "
                                  f"{existing.worksheet.number} 中")
            try:
                method = method_for(test, existing.method_key if existing else None)
            except ResultError as exc:
                if exc.field != "method":
                    raise
                method = None  # on the sheet; the technician switches to a declared method
        except ResultNotFound:
            raise
        except ResultError as exc:
            errors.append(exc.message)
            continue
        plan.append((test, existing, method))
    if errors:
        raise ResultError("；".join(errors), "tests")
    today = local_date()
    seq = next_value(f"worksheet:{user.org.code}:{today:%Y%m%d}")
    keys = {method.code if method else "" for _, _, method in plan}
    first = plan[0][0]
    sheet = Worksheet(
        number=f"WS-{user.org.code}-{today:%Y%m%d}-{seq:03d}", lab_org_id=user.org_id,
        created_by_id=user.id, method_key=(keys.pop() or None) if len(keys) == 1 else None,
        title=(title or "").strip()[:200] or f"{first.test_item.name_zh} 等 {len(plan)} 项")
    db.session.add(sheet)
    for test, existing, method in plan:
        result = existing or _new_result(test, user, method)
        result.worksheet = sheet
        db.session.add(result)
    db.session.flush()
    return sheet


@dataclass(frozen=True)
class _Input:
    value: str
    unit: str
    reading_id: int | None


def _reading_value(spec, reading_id: object, user: User, typed: str) -> tuple[str, int]:
    label = f"{spec.label_zh}（{spec.name}）"
    if isinstance(reading_id, bool) or not isinstance(reading_id, int | str) or \
            not str(reading_id).isdigit():
        raise ResultError(f"{label} 的仪器读数编号无效：{reading_id!r}", spec.name)
    reading = db.session.get(InstrumentReading, int(reading_id)) \
        if int(reading_id) <= MAX_ID else None
    if reading is None or reading.instrument.org_id != user.org_id:
        raise ResultError(f"{label}：未找到本实验室的仪器读数 {reading_id}", spec.name)
    if spec.source == "typed":
        raise ResultError(f"{label} 应手工录入，不来自仪器", spec.name)
    if not reading.stable:
        raise ResultError(f"{label}：读数 {reading.id} 不稳定，不能使用", spec.name)
    value = reading.value
    if reading.unit != spec.unit:
        if reading.unit in _MASS_FACTORS and spec.unit in _MASS_FACTORS:
            value = value * _MASS_FACTORS[reading.unit] / _MASS_FACTORS[spec.unit]
        else:
            raise ResultError(f"{label}：读数单位 {reading.unit} 与方法要求的 {spec.unit} 不符",
                              spec.name)
    text = format_decimal(value)
    if typed and Decimal(typed) != value:
        raise ResultError(f"{label}：录入值 {typed} 与仪器读数 {text} {spec.unit} 不一致",
                          spec.name)
    return text, reading.id


def _clean_inputs(method: Method, raw: Mapping[str, object], user: User) -> dict[str, _Input]:
    unknown = sorted(set(raw) - {spec.name for spec in method.inputs})
    if unknown:
        raise ResultError(f"方法 {method.code} 没有输入项：{'、'.join(unknown)}", unknown[0])
    clean: dict[str, _Input] = {}
    for spec in method.inputs:
        item = raw.get(spec.name)
        reading_id = None
        if isinstance(item, Mapping):
            reading_id = item.get("reading_id")
            item = item.get("value")
        text = "" if item is None else str(item).strip()
        if text:
            try:
                number = Decimal(text)
                if not number.is_finite():
                    raise ArithmeticError
            except (ArithmeticError, ValueError):
                raise ResultError(f"{spec.label_zh}（{spec.name}）不是有效数值：{text}",
                                  spec.name) from None
        if reading_id not in (None, ""):
            text, reading_id = _reading_value(spec, reading_id, user, text)
        else:
            reading_id = None
        if text:
            clean[spec.name] = _Input(text, spec.unit, reading_id)
    return clean


def judge(test: SampleTest, text: str, *, lod: str | None = None,
          loq: str | None = None) -> dict:
    """The limits engine's verdict on a result text (the unrounded value with its unit,
    ``未检出`` or ``<LOQ``) for this sample's food and the test's item.

    The one judgement path: :func:`lims.limits.checking.check_result`, the function behind
    ``lims limits check``, with the comparison of the limit's standard (全数值比较法 unless
    the standard says otherwise) and the simple acceptance rule.
    """
    from lims.limits.checking import check_result
    from lims.limits.services import library_index

    sample = test.sample
    foods = [sample.food_name]
    if sample.subcategory and sample.subcategory.name_zh not in foods:
        foods.append(sample.subcategory.name_zh)
    empty = {"verdict": Verdict.NOT_JUDGED.value, "limit_text": None, "limit_standard": None,
             "limit_clause": None, "limit_verified": None, "comparison": None,
             "decision_rule": None}
    try:
        outcome = check_result(library_index(), test.test_item.name_zh, foods, text,
                               sample.sampled_on, lod=lod, loq=loq,
                               declared=declared_for(sample, test.test_item.name_zh))
    except ValueError as exc:  # ParseError, JudgementError, UnitError: not decidable
        return {**empty, "reason": f"无法判定：{exc}"}
    data = outcome.data
    limit = data.get("limit") or {}
    judged = outcome.verdict in ("pass", "fail")
    verified = limit.get("verified")
    return {"verdict": outcome.verdict if judged else Verdict.NOT_JUDGED.value,
            "reason": data.get("reason", ""),
            "limit_text": limit.get("display") or limit.get("text"),
            "limit_standard": limit.get("standard"), "limit_clause": limit.get("clause"),
            "limit_verified": None if verified is None else str(verified),
            "comparison": data.get("comparison") if judged else None,
            "decision_rule": data.get("rule") if judged else None}


def _same_unit(a: str | None, b: str | None) -> bool:
    import unicodedata

    return bool(a and b) and unicodedata.normalize("NFKC", a) == unicodedata.normalize("NFKC", b)


def detection_limits(method_lod: Decimal | None, method_loq: Decimal | None, unit: str,
                     capability: LabCapability | None
                     ) -> tuple[Decimal | None, Decimal | None, str | None]:
    """(LOD, LOQ, source): the lab capability's values override the method's (per lab)."""
    if capability is not None and _same_unit(capability.unit, unit) and \
            (capability.lod is not None or capability.loq is not None):
        return capability.lod, capability.loq, "capability"
    if method_lod is not None or method_loq is not None:
        return method_lod, method_loq, "method"
    return None, None, None


_NO_LIMITS_NEEDED = ("CFU", "MPN", "%")


@dataclass(frozen=True)
class Preview:
    """A computed and judged result, not stored (the page shows it beside the fields)."""

    value: Decimal
    reported_value: str
    unit: str
    detected: bool
    lod: Decimal | None
    loq: Decimal | None
    verdict: str
    verdict_reason: str
    limit_text: str | None
    limit_standard: str | None
    steps: tuple[str, ...]
    detection: str = Detection.DETECTED.value
    lod_source: str | None = None
    limit_clause: str | None = None
    limit_verified: str | None = None
    comparison: str | None = None
    decision_rule: str | None = None


def compute(test: SampleTest, method: Method, inputs: Mapping[str, _Input],
            unit: str | None = None, capability: LabCapability | None = None) -> Preview:
    """Compute by the method, place the value against the LOD/LOQ used (the capability's,
    else the method's) and judge the unrounded value."""
    try:
        computed = method.compute({k: v.value for k, v in inputs.items()},
                                  analyte=test.test_item.name_zh, unit=unit or None)
    except MethodInputError as exc:
        field = next((s.name for s in method.inputs if f"（{s.name}）" in str(exc)), None)
        raise ResultError(str(exc), field) from None
    lod, loq, source = detection_limits(computed.lod, computed.loq, computed.unit, capability)
    quantitative = method.qualitative is None and not any(
        computed.unit.startswith(u) for u in _NO_LIMITS_NEEDED)
    if quantitative and source is None:
        raise ResultError(f"方法 {method_label(method)} 和本实验室能力声明都没有给出"
                          f"“{test.test_item.name_zh}”的检出限和定量限（{computed.unit}），"
                          "不能报告结果；请先在能力声明中补充检出限、定量限", "method")
    full = computed.value_full
    steps = list(computed.steps)
    shown = lambda v: f"{format_decimal(v)} {computed.unit}"  # noqa: E731
    where = "能力声明" if source == "capability" else "方法"
    if lod is not None and full < lod:
        detection, reported = Detection.NOT_DETECTED, "未检出"
        steps.append(f"{format_decimal(full)} < 检出限 {shown(lod)}（{where}）：未检出")
    elif lod is None and loq is not None and full < loq:
        # the method states only a quantification limit: below it nothing is reported
        detection, reported = Detection.NOT_DETECTED, "未检出"
        steps.append(f"{format_decimal(full)} < 定量限 {shown(loq)}（{where}，方法未给检出限）："
                     "未检出")
    elif loq is not None and full < loq:
        detection = Detection.BELOW_LOQ
        if method.reporting.below_loq == "value":
            reported = computed.value_reported
            steps.append(f"检出限 {shown(lod)} ≤ {format_decimal(full)} < 定量限 {shown(loq)}"
                         f"（{where}）：按方法报告数值 {reported}，注明低于定量限")
        else:
            reported = f"<{format_decimal(loq)}"
            steps.append(f"检出限 {shown(lod)} ≤ {format_decimal(full)} < 定量限 {shown(loq)}"
                         f"（{where}）：报告 <{format_decimal(loq)}")
    else:
        detection, reported = Detection.DETECTED, computed.value_reported
        if full.is_zero() and quantitative:
            raise ResultError("结果为 0 且没有低于检出限：0 不能作为测定值报告", "method")
    if detection == Detection.DETECTED:
        text = f"{format_decimal(full)}{computed.unit}"  # the full value, not the rounded one
    elif detection == Detection.BELOW_LOQ and reported.startswith("<"):
        text = f"{reported}{computed.unit}"
    elif detection == Detection.BELOW_LOQ:
        text = f"{format_decimal(full)}{computed.unit}"
    else:
        text = "未检出"
    # 未检出 conforms when the limit it was found below (LOD, or the LOQ of a method that
    # gives only one) is at or below the limit; a detected value is judged as it is
    floor = lod if lod is not None else loq
    floor_text = f"{format_decimal(floor)}{computed.unit}" if floor is not None else None
    judged = judge(test, text, lod=floor_text if detection == Detection.NOT_DETECTED else None)
    return Preview(value=full, reported_value=reported, unit=computed.unit,
                   detected=detection != Detection.NOT_DETECTED, lod=lod, loq=loq,
                   verdict=judged["verdict"], verdict_reason=judged["reason"],
                   limit_text=judged["limit_text"], limit_standard=judged["limit_standard"],
                   steps=tuple(steps), detection=detection.value, lod_source=source,
                   limit_clause=judged["limit_clause"], limit_verified=judged["limit_verified"],
                   comparison=judged["comparison"], decision_rule=judged["decision_rule"])


def _method_of(test: SampleTest, result: TestResult | None) -> tuple[Method, LabCapability | None]:
    method = method_for(test, result.method_key if result else None)
    if result is not None and result.capability_id is not None:
        return method, result.capability
    return method, capability_for(test, method)


def preview(test: SampleTest, user: User, inputs: Mapping[str, object],
            unit: str | None = None) -> Preview:
    """What saving these inputs would give (the entry page shows it beside the fields)."""
    check_bench(user, test)
    result = result_for_test(test)
    method, capability = _method_of(test, result)
    return compute(test, method, _clean_inputs(method, inputs, user),
                   unit or (result.unit if result and result.value is not None else None),
                   capability)


def enter_result(test: SampleTest, user: User, inputs: Mapping[str, object], *,
                 expected_version: int | None = None, reason: str | None = None,
                 unit: str | None = None, worksheet: Worksheet | None = None) -> TestResult:
    """Store the inputs of a test, computed, rounded and judged.

    A result that already holds a value changes only with a reason; the old value stays in
    the audit trail and a :class:`ResultChange`, and any signature is invalidated (the record
    goes back to draft).  ``expected_version`` is the version the user edited: an older one
    is refused with the other user's change (no lost update).
    """
    own_lab(user, test)
    require(user, Permission.ENTER_RESULT, "录入检验结果", test.lab_org_id)
    result = result_for_test(test)
    if result is not None and result.status == ResultStatus.APPROVED:
        raise ResultError("已批准的结果不能修改；如需更正请由授权签字人处理")
    check_bench(user, test)
    if result is not None:
        check_version(result, expected_version)
    method, capability = _method_of(test, result)
    saved = result is not None and result.value is not None
    reason = (reason or "").strip()
    if saved and not reason:
        raise ResultError("修改已保存的结果必须填写原因", "reason")
    clean = _clean_inputs(method, inputs, user)
    preview = compute(test, method, clean, unit or (result.unit if saved else None), capability)
    balance = next((v.reading_id for k, v in clean.items()
                    if v.reading_id is not None and method.input(k).from_balance), None)
    with change_reason(reason or None):
        before = snapshot(result) if saved else None
        if result is None:
            result = _new_result(test, user, method)
            db.session.add(result)
        if worksheet is not None and result.worksheet_id is None:
            result.worksheet = worksheet
        result.inputs_json = json.dumps(
            {k: {"value": v.value, "unit": v.unit, "reading_id": v.reading_id}
             for k, v in clean.items()}, ensure_ascii=False, sort_keys=True)
        result.value = preview.value
        result.reported_value = preview.reported_value
        result.unit = preview.unit
        result.detected = preview.detected
        result.lod, result.loq = preview.lod, preview.loq
        result.limit_text = (preview.limit_text or None) and preview.limit_text[:120]
        result.limit_standard = (preview.limit_standard or None) and preview.limit_standard[:120]
        result.verdict, result.verdict_reason = preview.verdict, preview.verdict_reason
        result.comparison, result.decision_rule = preview.comparison, preview.decision_rule
        result.detection, result.lod_source = preview.detection, preview.lod_source
        result.limit_clause = (preview.limit_clause or None) and preview.limit_clause[:120]
        result.limit_verified = preview.limit_verified
        result.method_key = method.code
        result.method_standard = method_label(method)[:160]
        if capability is not None:
            result.capability = capability
        result.reading_id = balance
        result.tested_by_id = user.id
        result.tested_on = local_date()
        return settle_entry(result, test, user, before=before, reason=reason)


def switch_method(test: SampleTest, user: User, method_key: str, reason: str, *,
                  expected_version: int | None = None) -> TestResult:
    """Compute the test by another method that the lab declares and the rules allow.

    The reason is kept (the result's ``method_reason``, a :class:`ResultChange` and the audit
    trail); values computed by the former method are cleared and its signatures invalidated,
    so that nothing is signed for a method that was not used.
    """
    own_lab(user, test)
    require(user, Permission.ENTER_RESULT, "更换检验方法")
    check_bench(user, test)
    reason = (reason or "").strip()
    if not reason:
        raise ResultError("更换检验方法必须填写原因", "reason")
    choices = {c.method.code: c for c in method_choices(test)}
    choice = choices.get(method_key or "")
    if choice is None:
        allowed = "、".join(f"{c.label}（{code}）" for code, c in choices.items()) or "（无）"
        raise ResultError(f"方法 {method_key or '（空）'} 不是本实验室声明且细则允许的"
                          f"“{test.test_item.name_zh}”检验方法；可选：{allowed}", "method")
    result = result_for_test(test)
    if result is not None:
        if result.status == ResultStatus.APPROVED:
            raise ResultError("已批准的结果不能更换方法")
        check_version(result, expected_version)
        if result.method_key == choice.method.code:
            raise ResultError(f"该结果已按 {choice.label} 计算", "method")
    with change_reason(reason):
        before = snapshot(result) if result is not None else None
        if result is None:
            result = _new_result(test, user, choice.method)
            db.session.add(result)
        had_value = result.value is not None
        result.method_key = choice.method.code
        result.method_standard = choice.label[:160]
        result.capability = choice.capability
        result.method_reason = reason
        result.unit = choice.method.result_unit
        if had_value:
            result.inputs_json, result.value, result.reported_value = "{}", None, ""
            result.detected, result.detection = True, Detection.DETECTED.value
            result.lod = result.loq = result.lod_source = None
            result.verdict, result.verdict_reason = Verdict.NOT_JUDGED.value, ""
            result.comparison = result.decision_rule = None
            result.limit_text = result.limit_standard = result.limit_clause = None
            result.limit_verified = None
        dropped = invalidate(result, f"更换检验方法：{reason}")
        result.status = ResultStatus.DRAFT
        result.status_reason = reason
        db.session.flush()
        db.session.add(ResultChange(
            result_id=result.id, user_id=user.id, kind="method", reason=reason,
            old_json=None if before is None else json.dumps(before, ensure_ascii=False,
                                                            sort_keys=True),
            new_json=json.dumps(snapshot(result), ensure_ascii=False, sort_keys=True)))
        custody_event(test.sample, user, f"“{test.test_item.name_zh}”改用 {choice.label}"
                      f"（{reason}）" + (f"，{len(dropped)} 个签名失效" if dropped else ""))
        flush_or_stale(result)
        if had_value:
            back_to_testing(test.sample, user, f"更换检验方法：{reason}")
    return result


def computation_steps(result: TestResult) -> tuple[tuple[str, ...], str | None]:
    """The computation of a stored result, step by step, from its stored inputs by its
    method (what the reviewer checks), or the reason it cannot be shown."""
    if result.value is None:
        return (), None
    try:
        method = method_for(result.sample_test, result.method_key)
        inputs = {k: _Input(str(v.get("value", "")), v.get("unit", ""), v.get("reading_id"))
                  for k, v in json.loads(result.inputs_json or "{}").items()}
        shown = compute(result.sample_test, method, inputs, result.unit or None,
                        result.capability)
    except ResultError as exc:
        return (), exc.message
    return shown.steps, None
