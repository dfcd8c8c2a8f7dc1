"""Database records of an approved (sub-)sample → the report's lines and signatures.

ISO/IEC 17025 §7.8.2.1 and the CMA rules: each test with the method actually used, the
result with its unit (or 未检出 with the LOD), the limit and its standard, the verdict; the
signatures 编制/审核/批准 from the results' e-signatures; the CMA mark only when every test
is inside the testing lab's accredited capability.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from lims.capabilities.models import LabCapability
from lims.capabilities.services import matches, scope_codes
from lims.extensions import db
from lims.foods import services as foods
from lims.orgs.models import Organization
from lims.reports.document import (
    Amendment,
    LabInfo,
    ReportDocument,
    SampleInfo,
    SignatureLine,
    TestLine,
    cma_decision,
)
from lims.reports.settings import local_date, verify_url
from lims.results import services as results
from lims.results.models import TestResult
from lims.samples.models import CustodyEvent, CustodyKind, Sample, SampleTest

VERDICT_ZH = {"pass": "合格", "fail": "不合格", "not_judged": "不判定"}
SIGNATURE_ROLES = (("submitted", "编制"), ("reviewed", "审核"), ("approved", "批准"))
DECISION_RULE = (
    "依据检验结果与标准限值比较判定（GB/T 8170-2008 修约值比较法）；测量不确定度未纳入判定，"
    "采用简单接受规则（ISO/IEC 17025:2017 §7.1.3，与客户约定）。“不判定”项目仅报告检测结果。"
)


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

    method = load_methods().get(result.method_key)
    if method is not None:
        return f"{method.standard.designation} {method.part}".strip()
    return test.method_standard or result.method_key


def result_text(result: TestResult) -> str:
    unit = f" {result.unit}" if result.unit else ""
    if not result.detected:
        if result.lod is not None:
            return f"未检出(LOD {format(result.lod, 'f')}{unit})"
        return "未检出"
    value = (result.reported_value or "").strip()
    if not value:
        raise ReportError(f"检验项目“{result.sample_test.test_item.name_zh}”没有报告结果")
    return f"{value}{unit}"


def _standard_number(text: str | None) -> str | None:
    from lims.methods.loader import normalise_standard_number

    if not text or not text.strip():
        return None
    return normalise_standard_number(text)[0]


def cma_scope(lab: Organization, test: SampleTest, result: TestResult,
              used_method: str) -> tuple[bool, str | None]:
    """Whether this test is inside the lab's CMA scope, and if not, why.

    The capability used is the lab's capability for the item on the testing date whose
    method standard is the one used (an empty method in the declaration means any).
    """
    item = test.test_item
    candidates = db.session.scalars(sa.select(LabCapability).where(
        LabCapability.org_id == lab.id,
        sa.or_(LabCapability.test_item_id == item.id,
               sa.and_(LabCapability.test_item_id.is_(None),
                       LabCapability.analyte_key == item.analyte_key)))).all()
    scopes = scope_codes(item)
    found = [c for c in candidates if matches(c, item, scopes, result.tested_on)]
    if not found:
        return False, f"{item.name_zh}（{lab.name}未声明该项目的检验能力）"
    used = _standard_number(used_method)
    same_method = [c for c in found if _standard_number(c.method_standard) in (None, used)]
    if not same_method:
        declared = "、".join(sorted({c.method_standard for c in found}))
        return False, f"{item.name_zh}（所用方法 {used_method} 不在能力范围内，已声明：{declared}）"
    same_method.sort(key=lambda c: (not c.in_cma_scope, c.test_item_id is None))
    if not same_method[0].in_cma_scope:
        return False, f"{item.name_zh}（该能力未列入资质认定范围）"
    return True, None


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
    lines, outside = [], []
    for result in found:
        test = result.sample_test
        method = method_text(result, test)
        in_scope, why = cma_scope(lab, test, result, method)
        if not in_scope:
            outside.append(why)
        verdict = VERDICT_ZH.get(result.verdict)
        if verdict is None:
            raise ReportError(f"检验项目“{test.test_item.name_zh}”的判定“{result.verdict}”无效")
        lines.append(TestLine(
            item=test.test_item.name_zh, method_standard=method, result=result_text(result),
            limit=result.limit_text or "/", limit_standard=result.limit_standard or "/",
            verdict=verdict, in_cma_scope=in_scope))
    allowed, reason = cma_decision(lines, lab.cma_certificate)
    if outside and lab.cma_certificate:
        reason = "以下项目不在资质认定（CMA）能力范围内：" + "；".join(outside)
    return ReportContent(lab=lab, results=found, tests=tuple(lines), cma_allowed=allowed,
                         cma_reason=reason, signatures=_signature_lines(found))


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


def build_document(sample: Sample, content: ReportContent, *, number: str, issued_on: dt.date,
                   token: str, amendment: Amendment | None = None) -> ReportDocument:
    path = foods.category_path(sample.subcategory)
    category = path[0].name_zh if len(path) < 2 else f"{path[0].name_zh}／{path[-1].name_zh}"
    tested = [r.tested_on for r in content.results]
    if sample.condition_ok:
        condition, deviations = (sample.condition_notes or "样品完好，符合检验要求"), ()
    else:
        condition = "有偏离（见偏离情况）"
        deviations = (sample.condition_notes or "接收时样品状态有偏离",)
    info = SampleInfo(
        number=sample.number, name=sample.food_name, category=category,
        business=sample.business_name, received_on=_received_on(sample, content.lab),
        testing_started_on=min(tested), testing_finished_on=max(tested), issued_on=issued_on,
        condition=condition, quantity=f"{format(sample.quantity, 'f')} {sample.quantity_unit}",
        sampled_on=sample.sampled_on, deviations=deviations,
        sampling_place=sample.sampling_place, batch=_batch(sample))
    lab = LabInfo(name=content.lab.name, address=content.lab.address,
                  cma_certificate_no=content.lab.cma_certificate)
    document = ReportDocument(
        lab=lab, report_number=number, sample=info, tests=content.tests,
        conclusion=conclusion(content.tests, content.results), decision_rule=DECISION_RULE,
        signatures=content.signatures, cma_allowed=content.cma_allowed,
        cma_reason=content.cma_reason, verify_url=verify_url(token), amendment=amendment)
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
