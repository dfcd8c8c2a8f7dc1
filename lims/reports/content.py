"""Database records of an approved (sub-)sample → the report's lines and signatures.

ISO/IEC 17025 §7.8.2.1 and the CMA rules: each test with the method actually used, the
result with its unit (or 未检出 with the LOD), the limit and its standard, the verdict; the
signatures 编制/审核/批准 from the results' e-signatures; the header of the sample's task
type from the sampling form as recorded at receipt; the decision-rule statement from the
comparison and rule stored with each verdict; the CMA decision of lims.results.cma (the mark
is kept when the lab's scope covers the report, items outside are marked ▲).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from lims.extensions import db
from lims.foods import services as foods
from lims.orgs.models import Organization
from lims.reports.document import (
    CMA_ITEM_STATEMENT,
    Amendment,
    LabInfo,
    ReportDocument,
    SampleInfo,
    SignatureLine,
    TestLine,
)
from lims.reports.settings import local_date, verify_url
from lims.results import services as results
from lims.results.cma import result_cma, sample_cma
from lims.results.models import TestResult
from lims.results.records import result_display
from lims.samples.models import CustodyEvent, CustodyKind, Sample, SampleTest

VERDICT_ZH = {"pass": "合格", "fail": "不合格", "not_judged": "不判定"}
SIGNATURE_ROLES = (("submitted", "编制"), ("reviewed", "审核"), ("approved", "批准"))
COMPARISON_NOTES = {
    "full": "全数值比较法：以未经修约的测定值与限量比较，报告值按方法规定修约",
    "rounded": "修约值比较法：以按限量位数修约后的测定值与限量比较",
}
RULE_NOTES = {
    "simple": "简单接受规则：测量不确定度未纳入判定（ISO/IEC 17025:2017 §7.1.3）",
    "guarded": "保护带接受规则：以扩展不确定度 U 为保护带判定（ISO/IEC 17025:2017 §7.1.3）",
    "non-binary": "非二元判定规则：不确定度区间跨越限量时给出有条件的判定",
}


class ReportError(ValueError):
    """A refused report operation (Chinese message, shown to the user)."""


@dataclass(frozen=True)
class ReportContent:
    """What the records say, before a number and a date are given to the report."""

    lab: Organization
    results: list[TestResult]
    tests: tuple[TestLine, ...]
    cma_allowed: bool
    cma_reason: str | None
    signatures: tuple[SignatureLine, ...]


def testing_lab(sample: Sample) -> Organization:
    labs = {t.lab_org_id for t in sample.active_tests}
    if len(labs) != 1 or None in labs:
        raise ReportError(f"样品 {sample.number} 的检验项目不属于同一检验机构，不能出具一份报告")
    lab = sample.active_tests[0].lab
    assert lab is not None
    return lab


def method_text(result: TestResult, test: SampleTest) -> str:
    """The method standard printed for a result: the method actually used."""
    from lims.methods.loader import load_methods

    stored = getattr(result, "method_standard", None)
    if stored:
        return stored
    method = load_methods().get(result.method_key)
    if method is not None:
        return f"{method.standard.designation} {method.part}".strip()
    return test.method_standard or result.method_key


def detection(result: TestResult) -> str:
    """detected | not_detected | below_loq, as stored with the result."""
    stored = getattr(result, "detection", None)
    if not result.detected:
        return "not_detected"
    return stored or "detected"


def result_text(result: TestResult) -> str:
    """The result cell, as the result pages print it (lims.results.records.result_display):
    未检出 with its LOD (or LOQ), <LOQ, or the reported value; never a 0."""
    name = result.sample_test.test_item.name_zh
    if detection(result) == "not_detected" and result.lod is None and result.loq is None:
        raise ReportError(f"检验项目“{name}”未检出，但未记录检出限，不能出具报告")
    text = result_display(result)
    if not text:
        raise ReportError(f"检验项目“{name}”没有报告结果")
    return text


def verdict_basis(result: TestResult) -> tuple[str | None, str | None]:
    """(comparison, decision rule) stored with the verdict; (None, None) if not judged."""
    if result.verdict == "not_judged":
        return None, None
    return getattr(result, "comparison", None), getattr(result, "decision_rule", None)


def decision_rule_statement(pairs: list[tuple[TestLine, TestResult]]) -> str:
    """What the stored verdicts say about how each item was judged, grouped by the
    comparison (GB/T 8170-2008 §4.3) and the decision rule (ISO/IEC 17025 §7.1.3)."""
    from lims.limits.judgement import COMPARISON_ZH, RULE_ZH

    groups: dict[tuple[str | None, str | None], list[str]] = {}
    not_judged = []
    for line, result in pairs:
        if result.verdict == "not_judged":
            not_judged.append(line.item)
        else:
            groups.setdefault(verdict_basis(result), []).append(line.item)
    parts = []
    for (comparison, rule), items in groups.items():
        if comparison is None or rule is None:
            parts.append(f"{'、'.join(items)}：判定方法未记录")
            continue
        parts.append(f"{'、'.join(items)}：与标准限值比较采用{COMPARISON_ZH.get(comparison, comparison)}"
                     f"（GB/T 8170-2008），{RULE_ZH.get(rule, rule)}")
    sentences = ["；".join(parts) + "。"] if parts else []
    for comparison in sorted({c for (c, _) in groups if c}):
        if comparison in COMPARISON_NOTES:
            sentences.append(COMPARISON_NOTES[comparison] + "。")
    for rule in sorted({r for (_, r) in groups if r}):
        if rule in RULE_NOTES:
            sentences.append(RULE_NOTES[rule] + "。")
    if not_judged:
        sentences.append(f"{'、'.join(not_judged)}无判定限量，不作判定，仅报告检测结果。")
    states = {detection(r) for _, r in pairs}
    if "not_detected" in states:
        sentences.append("“未检出”表示低于方法检出限（括号内为检出限，未给出检出限时为定量限）。")
    if "below_loq" in states:
        sentences.append("“<”值表示已检出但低于方法定量限。")
    return "".join(sentences)


def _signature_lines(found: list[TestResult]) -> tuple[SignatureLine, ...]:
    """One line per role: the names of everyone who signed that role (usually one),
    dated with the latest signature of that role."""
    lines = []
    for meaning, role in SIGNATURE_ROLES:
        names: list[str] = []
        latest: dt.datetime | None = None
        for result in found:
            signature = results.valid_signatures(result).get(meaning)
            if signature is None:
                raise ReportError(
                    f"检验项目“{result.sample_test.test_item.name_zh}”缺少有效的{role}签名")
            if signature.printed_name not in names:
                names.append(signature.printed_name)
            latest = max(latest, signature.signed_at) if latest else signature.signed_at
        assert latest is not None
        lines.append(SignatureLine(role, "、".join(names), local_date(latest)))
    return tuple(lines)


def report_content(sample: Sample) -> ReportContent:
    """Map the approved results of a (sub-)sample onto report lines; refuses if not ready."""
    if sample.children:
        raise ReportError(f"样品 {sample.number} 已分样，请对各子样分别出具报告")
    if not results.sample_ready_for_report(sample):
        raise ReportError(f"样品 {sample.number} 尚有检验项目未完成批准，不能出具报告")
    lab = testing_lab(sample)
    found = results.results_for_sample(sample)
    if not found:
        raise ReportError(f"样品 {sample.number} 没有检验结果")
    lines = []
    for result in found:
        test = result.sample_test
        method = method_text(result, test)
        in_scope, _why = result_cma(result)
        verdict = VERDICT_ZH.get(result.verdict)
        if verdict is None:
            raise ReportError(f"检验项目“{test.test_item.name_zh}”的判定“{result.verdict}”无效")
        lines.append(TestLine(
            item=test.test_item.name_zh, method_standard=method, result=result_text(result),
            limit=result.limit_text or "/", limit_standard=result.limit_standard or "/",
            verdict=verdict, in_cma_scope=in_scope))
    # The one CMA rule, also shown to the signatory before approval (lims.results.cma).
    decision = sample_cma(found, lab.cma_certificate)
    return ReportContent(lab=lab, results=found, tests=tuple(lines), cma_allowed=decision.mark,
                         cma_reason=decision.reason, signatures=_signature_lines(found))


def conclusion(tests: tuple[TestLine, ...], results_: list[TestResult]) -> str:
    """The overall conclusion: failed items name the standard they fail."""
    def basis(lines: list[tuple[TestLine, TestResult]]) -> str:
        found = sorted({r.limit_standard for _, r in lines if r.limit_standard})
        return f" {'、'.join(found)} " if found else "标准"

    pairs = list(zip(tests, results_, strict=True))
    failed = [(t, r) for t, r in pairs if t.verdict == "不合格"]
    if failed:
        return (f"经抽样检验，{'、'.join(t.item for t, _ in failed)}项目不符合"
                f"{basis(failed)}要求，检验结论为不合格。")
    judged = [(t, r) for t, r in pairs if t.verdict == "合格"]
    if not judged:
        return "本报告仅提供检测结果，不作合格判定。"
    return f"经抽样检验，所检项目符合{basis(judged)}要求，检验结论为合格。"


def _received_on(sample: Sample, lab: Organization) -> dt.date:
    """When the testing lab received the sample (its own receipt after transport)."""
    at = db.session.scalar(sa.select(CustodyEvent.at).where(
        CustodyEvent.sample_id == sample.id, CustodyEvent.kind == CustodyKind.RECEIVED_AT_LAB,
        CustodyEvent.to_org_id == lab.id).order_by(CustodyEvent.at.desc()).limit(1))
    return local_date(at or sample.received_at)


def _batch(sample: Sample) -> str | None:
    parts = [sample.production_date.isoformat() if sample.production_date else None,
             sample.batch_number]
    return " / ".join(p for p in parts if p) or None


def _condition(sample: Sample) -> tuple[str, tuple[str, ...]]:
    """样品状态 as the receiver recorded it, and the deviations (never a fixed sentence)."""
    described = (sample.condition_description or "").strip()
    if sample.condition_ok:
        return described or "接收时记录为符合要求（未记录具体描述）", ()
    deviation = sample.condition_notes or "接收时记录为有偏离（未说明）"
    return described or "有偏离（见偏离情况）", (deviation,)


def _joined(values: list[str | None]) -> str | None:
    """Distinct standards in order; "GB 2762" is dropped when "GB 2762-2025" is there."""
    found: list[str] = []
    for value in values:
        for part in (value or "").replace("|", "、").split("、"):
            if part.strip() and part.strip() not in found:
                found.append(part.strip())
    kept = [f for f in found if not any(o.startswith(f + "-") for o in found if o != f)]
    return "、".join(kept) or None


def build_document(sample: Sample, content: ReportContent, *, number: str, issued_on: dt.date,
                   token: str, amendment: Amendment | None = None,
                   signature_block: tuple[str, ...] = ()) -> ReportDocument:
    from lims.samples.models import TASK_TYPE_ZH, TaskType

    path = foods.category_path(sample.subcategory)
    category = path[0].name_zh if len(path) < 2 else f"{path[0].name_zh}／{path[-1].name_zh}"
    tested = [r.tested_on for r in content.results]
    condition, deviations = _condition(sample)
    commissioned = sample.task_type == TaskType.COMMISSIONED
    info = SampleInfo(
        number=sample.number, name=sample.food_name, category=category,
        business=sample.business_name, received_on=_received_on(sample, content.lab),
        testing_started_on=min(tested), testing_finished_on=max(tested), issued_on=issued_on,
        condition=condition, quantity=f"{format(sample.quantity, 'f')} {sample.quantity_unit}",
        sampled_on=sample.sampled_on, deviations=deviations,
        sampling_place=sample.sampling_place, batch=_batch(sample),
        specification=sample.specification, task_type=TASK_TYPE_ZH[sample.task_type],
        task_source=sample.task_source, sampling_form_no=sample.sampling_form_no,
        business_address=sample.business_address, business_licence=sample.business_licence,
        customer=sample.customer_name if commissioned else None,
        customer_address=sample.customer_address if commissioned else None,
        producer=sample.producer, producer_address=sample.producer_address,
        sampler=sample.sampler, sampling_base=sample.sampling_base,
        testing_basis=_joined([t.method_standard for t in content.tests]),
        judgement_basis=_joined([r.sample_test.basis_standard for r in content.results]
                                + [r.limit_standard for r in content.results]))
    lab = LabInfo(name=content.lab.name, address=content.lab.address,
                  cma_certificate_no=content.lab.cma_certificate)
    pairs = list(zip(content.tests, content.results, strict=True))
    remarks = (CMA_ITEM_STATEMENT,) if content.cma_allowed and any(
        not t.in_cma_scope for t in content.tests) else ()
    document = ReportDocument(
        lab=lab, report_number=number, sample=info, tests=content.tests,
        conclusion=conclusion(content.tests, content.results),
        decision_rule=decision_rule_statement(pairs), signatures=content.signatures,
        cma_allowed=content.cma_allowed, cma_reason=content.cma_reason,
        verify_url=verify_url(token), amendment=amendment, remarks=remarks,
        signature_block=signature_block)
    return as_drug_report(sample, content, document)


def as_drug_report(sample: Sample, content: ReportContent,
                   document: ReportDocument) -> ReportDocument:
    """A medicine's report is a 药品检验报告书: its title, fields, verdict words and
    检验结论 come from lims.drugs.report; a food sample's document is returned unchanged."""
    from dataclasses import replace

    from lims.drugs import report as drug_report

    fields = drug_report.report_fields(sample)
    if fields is None:
        return document
    tests = tuple(replace(line, verdict=drug_report.item_verdict(result.verdict))
                  for line, result in zip(content.tests, content.results, strict=True))
    info = replace(document.sample, name=fields.name, category=fields.category,
                   category_label=fields.category_label, specification=fields.specification,
                   batch=fields.batch)
    verdicts = [(line.item, result.verdict)
                for line, result in zip(content.tests, content.results, strict=True)]
    return replace(document, title=fields.title, sample=info, tests=tests,
                   conclusion=drug_report.conclusion(fields, verdicts),
                   decision_rule=drug_report.DECISION_RULE,
                   remarks=document.remarks + fields.remarks)
