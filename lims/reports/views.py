"""Report pages for lab users: list, detail, PDF download, amend, withdraw, (re)issue."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lims.core.permissions import require
from lims.extensions import db
from lims.reports import hooks, services
from lims.reports.forms import ReasonForm
from lims.reports.models import REPORT_STATUS_ZH, ReportStatus, TestReport
from lims.reports.settings import verify_url
from lims.samples import services as samples
from lims.samples.lifecycle import SampleStatus
from lims.samples.models import Sample
from lims.users.roles import Permission

bp = Blueprint("reports", __name__, url_prefix="/reports")
hooks.connect()

PAGE_SIZE = 50


def _sample_panel(sample: Sample) -> dict:
    """What the sample page shows about the sample's reports (see reports/_sample_panel)."""
    reports = services.reports_of_sample(sample) if sample.id else []
    can_sign = current_user.is_authenticated and services.can_sign_for(current_user, sample)
    current = next((r for r in reports if r.status == ReportStatus.ISSUED), None)
    failure = services.open_failure(sample) if current is None else None
    # Retry after a failure, re-issue after a withdrawal, or issue when no report was tried.
    can_issue = can_sign and current is None and bool(
        failure or reports or sample.status == SampleStatus.APPROVED)
    return {"reports": reports, "current": current, "can_sign": can_sign, "failure": failure,
            "can_issue": can_issue, "form": ReasonForm()}


@bp.app_context_processor
def _helpers():
    return {"report_panel": _sample_panel, "report_status_zh": REPORT_STATUS_ZH}


def _visible_report(report_id: int) -> TestReport:
    report = db.session.get(TestReport, report_id)
    if report is None or not samples.can_view(current_user, report.sample):
        abort(404)
    return report


@bp.get("/")
@login_required
def index():
    query = (sa.select(TestReport).join(Sample, Sample.id == TestReport.sample_id)
             .where(samples.visibility_clause(current_user)))
    text = (request.args.get("q") or "").strip()
    if text:
        like = f"%{text}%"
        query = query.where(sa.or_(TestReport.number.ilike(like), Sample.number.ilike(like),
                                   Sample.food_name.ilike(like)))
    status = request.args.get("status") or ""
    if status in {s.value for s in ReportStatus}:
        query = query.where(TestReport.status == ReportStatus(status))
    before = request.args.get("before", type=int)
    if before:
        query = query.where(TestReport.id < before)
    rows = list(db.session.scalars(query.order_by(TestReport.id.desc()).limit(PAGE_SIZE + 1)))
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        args = {k: v for k, v in request.args.items() if k != "before"}
        next_url = url_for("reports.index", before=rows[-1].id, **args)
    return render_template("reports/index.html", reports=rows, next_url=next_url, q=text,
                           status=status, statuses=list(ReportStatus))


@bp.get("/<int:report_id>")
@login_required
def detail(report_id: int):
    report = _visible_report(report_id)
    chain = services.reports_of_sample(report.sample)
    return render_template("reports/detail.html", report=report, chain=chain,
                           form=ReasonForm(),
                           can_sign=services.can_sign_for(current_user, report.sample),
                           verify_url=verify_url(report.verify_token))


@bp.get("/<int:report_id>.pdf")
@login_required
def pdf(report_id: int):
    report = _visible_report(report_id)
    # The stored bytes, exactly as signed: never re-rendered.
    return report.pdf, 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'inline; filename="{report.number}.pdf"',
        "X-Content-SHA256": report.sha256,
    }


def _reason_form() -> ReasonForm:
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    return form


@bp.post("/<int:report_id>/amend")
@require(Permission.APPROVE_REPORT)
def amend(report_id: int):
    report = _visible_report(report_id)
    form = _reason_form()
    try:
        new = services.amend_report(report, form.reason.data, current_user)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - shown to the signatory, nothing written
        db.session.rollback()
        flash(_refusal(exc), "error")
        return redirect(url_for("reports.detail", report_id=report_id))
    flash(_("Amended report %(new)s issued; %(old)s is superseded.", new=new.number,
            old=report.number), "success")
    return redirect(url_for("reports.detail", report_id=new.id))


@bp.post("/<int:report_id>/withdraw")
@require(Permission.APPROVE_REPORT)
def withdraw(report_id: int):
    report = _visible_report(report_id)
    form = _reason_form()
    try:
        services.withdraw_report(report, form.reason.data, current_user)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        flash(_refusal(exc), "error")
    else:
        flash(_("Report %(number)s withdrawn.", number=report.number), "success")
    return redirect(url_for("reports.detail", report_id=report_id))


@bp.post("/sample/<number>/issue")
@require(Permission.APPROVE_REPORT)
def issue(number: str):
    """The retry button: issue the report of an approved sample whose report failed."""
    sample = samples.find_visible(current_user, number)
    if sample is None:
        abort(404)
    if not ReasonForm().validate_on_submit():  # CSRF only
        abort(400)
    report = hooks.issue_or_record(sample, current_user)
    if report is None:
        failure = services.open_failure(sample)
        flash(failure.message if failure else _("The report could not be issued."), "error")
    else:
        flash(_("Report %(number)s issued.", number=report.number), "success")
    return redirect(url_for("samples.detail", number=number))


def _refusal(exc: Exception) -> str:
    if isinstance(exc, hooks.EXPECTED):
        return str(exc)
    hooks.log.exception("report operation failed")
    detail = f"{type(exc).__name__}: {exc}"
    return _("The operation failed: %(error)s", error=detail)
