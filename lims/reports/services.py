"""Issuing, amending and withdrawing test reports.

``issue_report`` maps the records of an approved (sub-)sample onto a ReportDocument
(:mod:`lims.reports.content`), renders it, signs it with the lab's key and stores the signed
bytes with their SHA-256: the file is never rendered again. It is callable on its own (CLI,
retry button, a background job); the ``sample_approved`` handler in :mod:`lims.reports.hooks`
calls it after the approval is committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import string

import sqlalchemy as sa
from flask import current_app

from lims.audit.context import change_reason
from lims.core.db import utcnow
from lims.core.localtime import format_local, zone_label
from lims.extensions import db
from lims.orgs.models import Organization
from lims.reports.content import ReportContent, ReportError, build_document, report_content
from lims.reports.document import Amendment
from lims.reports.models import ReportFailure, ReportStatus, TestReport
from lims.reports.render import render_report
from lims.reports.settings import lab_signer, local_date
from lims.reports.signing import sign_pdf
from lims.samples.lifecycle import SampleStatus
from lims.samples.models import CustodyEvent, CustodyKind, Sample
from lims.samples.numbering import next_value
from lims.users.access import allowed
from lims.users.models import User
from lims.users.roles import Permission, Role

__all__ = ["ReportError", "amend_report", "issue_report", "report_for_sample",
           "withdraw_report"]

DEFAULT_NUMBER_PATTERN = "{lab}-R-{yyyy}-{seq:06d}"
_NUMBER_FIELDS = {"lab", "yyyy", "yy", "mm", "seq"}


def next_report_number(lab_code: str, on: dt.date) -> str:
    """The next number of the lab's report sequence (row-locked counter, see numbering)."""
    pattern = current_app.config.get("REPORT_NUMBER_PATTERN") or DEFAULT_NUMBER_PATTERN
    fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
    if fields - _NUMBER_FIELDS or "seq" not in fields:
        raise ReportError(f"报告编号规则无效：{pattern}（可用字段 {sorted(_NUMBER_FIELDS)}，须含 seq）")
    values = {"lab": lab_code, "yyyy": f"{on.year:04d}", "yy": f"{on.year % 100:02d}",
              "mm": f"{on.month:02d}"}
    # The counter restarts whenever the fixed part changes (each year with the default).
    prefix = pattern.split("{seq")[0].format(**values)
    return pattern.format(seq=next_value(f"report:{prefix}"), **values)


def _check_signatory(user: User, lab: Organization) -> None:
    if not user.can(Permission.APPROVE_REPORT):
        raise ReportError("只有授权签字人可以签发报告")
    if not allowed(user, Permission.APPROVE_REPORT, lab):  # the one lab-scoped check
        raise ReportError(f"报告只能由检验机构（{lab.name}）的授权签字人签发")


def _lock_sample(sample: Sample) -> None:
    # PostgreSQL: concurrent issuers of the same sample wait here, then see the first
    # one's report. SQLite serialises writers anyway (FOR UPDATE is not emitted there).
    db.session.execute(sa.select(Sample.id).where(Sample.id == sample.id).with_for_update())


def current_report(sample: Sample) -> TestReport | None:
    return db.session.scalar(sa.select(TestReport).where(
        TestReport.sample_id == sample.id, TestReport.status == ReportStatus.ISSUED))


def report_for_sample(sample: Sample) -> TestReport | None:
    """The sample's valid report, else its latest one (superseded or withdrawn), else None."""
    return current_report(sample) or db.session.scalar(
        sa.select(TestReport).where(TestReport.sample_id == sample.id)
        .order_by(TestReport.revision.desc()).limit(1))


def reports_of_sample(sample: Sample) -> list[TestReport]:
    return list(db.session.scalars(sa.select(TestReport).where(
        TestReport.sample_id == sample.id).order_by(TestReport.revision)))


def _sign_and_store(sample: Sample, content: ReportContent, user: User, *,
                    replaces: TestReport | None = None, reason: str | None = None
                    ) -> TestReport:
    # The testing lab's own key; fail before a number is taken if it is not usable.
    signer = lab_signer(content.lab.code)
    revision = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(TestReport.revision), -1))
                                 .where(TestReport.sample_id == sample.id)) + 1
    now = utcnow()
    issued_on = local_date(now)
    token = secrets.token_urlsafe(24)
    # The number's counter row stays locked until commit: renders of one lab queue up here,
    # never reuse a number. Audited rows are flushed only after the render (the audit chain
    # lock is held from the first audited flush to the commit).
    number = next_report_number(content.lab.code, issued_on)
    amendment = Amendment(replaces.number, reason) if replaces is not None else None
    block = (f"{content.lab.name} 数字签名", f"签发人：{user.display_name}",
             f"证书：{signer.signer.signing_cert.subject.native.get('common_name', signer.subject)}",
             f"证书序列号：{signer.serial_hex}",
             f"签名时间：{format_local(now, '%Y-%m-%d %H:%M:%S')}（{zone_label()}）")
    document = build_document(sample, content, number=number, issued_on=issued_on,
                              token=token, amendment=amendment, signature_block=block)
    rendered = render_report(document)
    signed = sign_pdf(rendered.pdf, signer, box=rendered.signature_box.box,
                      page_index=rendered.signature_box.page_index,
                      location=content.lab.region.name if content.lab.region else None)
    report = TestReport(
        number=number, sample_id=sample.id, revision=revision, lab_org_id=content.lab.id,
        status=ReportStatus.ISSUED, issued_at=now, issued_on=issued_on, issued_by_id=user.id,
        pdf=signed, sha256=hashlib.sha256(signed).hexdigest(), page_count=rendered.page_count,
        verify_token=token, cma_applied=content.cma_allowed, cma_reason=content.cma_reason,
        supersedes_id=replaces.id if replaces is not None else None, amendment_reason=reason)
    db.session.add(report)
    db.session.flush()
    return report


def _event(sample: Sample, user: User, summary: str) -> None:
    db.session.add(CustodyEvent(sample_id=sample.id, kind=CustodyKind.REPORT,
                                by_user_id=user.id, summary=summary, at=utcnow()))


def issue_report(sample: Sample, user: User) -> TestReport:
    """Issue the report of an approved (sub-)sample: once; the caller commits.

    Refused (ReportError) if results are not all approved and signed, if the sample already
    has a valid report, or if ``user`` is not a signatory of the testing lab.
    """
    _lock_sample(sample)
    db.session.refresh(sample)
    existing = current_report(sample)
    if existing is not None:
        raise ReportError(f"样品 {sample.number} 已出具报告 {existing.number}，"
                          "如需更正请出具替代报告")
    content = report_content(sample)
    _check_signatory(user, content.lab)
    report = _sign_and_store(sample, content, user)
    if sample.status == SampleStatus.APPROVED:
        from lims.samples.services import transition

        transition(sample, SampleStatus.REPORTED, user)
    # Which report was issued, with or without the CMA mark, and why.
    _event(sample, user, f"签发检验报告 {report.number}（{report.cma_reason}）")
    db.session.execute(sa.update(ReportFailure).where(ReportFailure.sample_id == sample.id)
                       .values(resolved=True))
    db.session.flush()
    return report


def _require_reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ReportError(f"{what}必须填写原因")
    return text


def amend_report(report: TestReport, reason: str, user: User) -> TestReport:
    """Issue a report that replaces ``report`` (new number, names the old one and why).

    The old report is never changed except its status: it becomes superseded.
    """
    text = _require_reason(reason, "出具替代报告")
    sample = report.sample
    _lock_sample(sample)
    db.session.refresh(report)
    if report.status != ReportStatus.ISSUED:
        raise ReportError(f"报告 {report.number} 当前状态为“{report.status_zh}”，不能再被替代")
    content = report_content(sample)
    _check_signatory(user, content.lab)
    new = _sign_and_store(sample, content, user, replaces=report, reason=text)
    with change_reason(text):
        report.status = ReportStatus.SUPERSEDED
        report.superseded_by_id = new.id
        db.session.flush()
    _event(sample, user, f"出具替代报告 {new.number}，替代 {report.number}（{text}）")
    db.session.flush()
    return new


def withdraw_report(report: TestReport, reason: str, user: User) -> None:
    """Withdraw a valid report (it stays on record, its verification page says withdrawn)."""
    text = _require_reason(reason, "撤回报告")
    _lock_sample(report.sample)
    db.session.refresh(report)
    if report.status != ReportStatus.ISSUED:
        raise ReportError(f"报告 {report.number} 当前状态为“{report.status_zh}”，不能撤回")
    _check_signatory(user, report.lab)
    with change_reason(text):
        report.status = ReportStatus.WITHDRAWN
        report.withdrawn_at = utcnow()
        report.withdrawn_by_id = user.id
        report.withdrawn_reason = text
        db.session.flush()
    _event(report.sample, user, f"撤回检验报告 {report.number}（{text}）")
    db.session.flush()


def record_failure(sample_id: int, user_id: int | None, message: str) -> None:
    db.session.add(ReportFailure(sample_id=sample_id, user_id=user_id, message=message[:2000],
                                 at=utcnow()))
    db.session.flush()


def open_failure(sample: Sample) -> ReportFailure | None:
    return db.session.scalar(sa.select(ReportFailure).where(
        ReportFailure.sample_id == sample.id, ReportFailure.resolved.is_(False))
        .order_by(ReportFailure.id.desc()).limit(1))


def can_sign_for(user: User, sample: Sample) -> bool:
    if not user.can(Permission.APPROVE_REPORT) or user.has_role(Role.SUPERVISOR):
        return False
    labs = {t.lab_org_id for t in sample.active_tests}
    return labs == {user.org_id}
