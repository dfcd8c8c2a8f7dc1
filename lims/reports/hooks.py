"""Issue the report when a (sub-)sample's last test is approved.

Connected to ``lims.results.signals.sample_approved`` when the reports blueprint is imported
(app creation). The approval is already committed when the signal comes; the report is made
in a savepoint so that a failure (no signing key, a rendering or data error) is logged and
recorded for the sample page's retry button, and never touches the approval.
"""

from __future__ import annotations

import logging

from flask import has_request_context

from lims.core.jobs import enqueue
from lims.extensions import db
from lims.reports import services
from lims.reports.document import ReportDataError
from lims.reports.models import TestReport
from lims.reports.settings import public_base_url, requested_base_url
from lims.reports.signing import SigningSetupError
from lims.results.signals import sample_approved
from lims.samples.models import Sample
from lims.users.models import User

log = logging.getLogger(__name__)

# Errors whose message is written for lab users; anything else is a bug worth a traceback.
EXPECTED = (services.ReportError, ReportDataError, SigningSetupError)


def issue_or_record(sample: Sample, user: User | None) -> TestReport | None:
    """Issue the sample's report and commit; on failure record why and return None."""
    sample_id, user_id = sample.id, user.id if user is not None else None
    try:
        if user is None:
            raise services.ReportError("批准信号未指明批准人，无法签发报告")
        # Only the savepoint is undone on failure: whatever the caller has in the session
        # (normally nothing, the approval is committed first) is kept.
        with db.session.begin_nested():
            report = services.issue_report(sample, user)
        db.session.commit()
        return report
    except Exception as exc:  # noqa: BLE001 - any failure must leave the approval intact
        if isinstance(exc, EXPECTED):
            log.warning("report for sample %s not issued: %s", sample_id, exc)
            message = str(exc)
        else:
            log.exception("report for sample %s failed", sample_id)
            message = f"报告生成出错：{type(exc).__name__}: {exc}"
        if not db.session.is_active:  # the commit itself failed
            db.session.rollback()
        services.record_failure(sample_id, user_id, message)
        db.session.commit()
        return None


def on_sample_approved(sample: Sample, user: User | None = None, **_extra: object) -> None:
    """Rendering and signing take a few hundred ms: on a worker (RQ) when Redis is
    configured, inline otherwise (lims.core.jobs decides)."""
    base = public_base_url() if has_request_context() else None
    enqueue("lims.reports.hooks.issue_for_sample_id", sample.id,
            user.id if user is not None else None, base)


def connect() -> None:
    """Idempotent: blinker keeps one connection per receiver."""
    sample_approved.connect(on_sample_approved)


def issue_for_sample_id(sample_id: int, user_id: int | None,
                        base_url: str | None = None) -> str | None:
    """The job (plain ids in, report number out; None if it failed and was recorded).
    ``base_url``: the host of the approving request, for the QR code's URL."""
    sample = db.session.get(Sample, sample_id)
    user = db.session.get(User, user_id) if user_id is not None else None
    if sample is None:
        raise services.ReportError(f"未知样品：{sample_id}")
    token = requested_base_url.set(base_url)
    try:
        report = issue_or_record(sample, user)
    finally:
        requested_base_url.reset(token)
    return report.number if report is not None else None
