"""The results package's service layer: plain functions on the session, no request.

They validate everything before they write and flush, never commit; the caller commits with
:func:`commit`, which also sends the ``sample_approved`` signal once an approval is durable.
The work itself lives in :mod:`lims.results.entry` (worksheets, entry, computation,
judgement), :mod:`lims.results.signing` (检验 → 审核 → 批准) and :mod:`lims.results.records`
(look-ups and the signed content); they are re-exported here, the one import for callers.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from lims.extensions import db
from lims.results.entry import (
    Preview,
    computation_steps,
    compute,
    create_worksheet,
    enter_result,
    preview,
    switch_method,
)
from lims.results.errors import (
    PasswordRefused,
    ResultError,
    ResultForbidden,
    ResultNotFound,
    StaleResult,
)
from lims.results.models import TestResult
from lims.results.records import (
    ASSIGNED_PAGE_MAX,
    ASSIGNED_PAGE_SIZE,
    ENTRY_STATUSES,
    MAX_ID,
    MEANING_ZH,
    PENDING_APPROVALS,
    STATUS_LABEL_ZH,
    VERDICT_ZH,
    AssignedPage,
    assigned_page,
    assigned_tests,
    can_view,
    capability_for,
    flush_or_stale,
    history,
    lab_capabilities,
    lab_worksheets,
    limit_pending,
    method_choices,
    method_for,
    method_label,
    primed_capabilities,
    queue,
    record_content,
    record_hash,
    result_display,
    result_for_test,
    results_by_test,
    results_for_sample,
    sample_ready_for_report,
    valid_signatures,
    verdict_basis_zh,
)
from lims.results.signals import sample_approved
from lims.results.signing import send_back, sign, sign_many
from lims.samples.models import Sample
from lims.users.models import User

__all__ = [
    "ASSIGNED_PAGE_MAX", "ASSIGNED_PAGE_SIZE", "AssignedPage", "assigned_page",
    "results_by_test", "ENTRY_STATUSES", "MAX_ID", "MEANING_ZH", "STATUS_LABEL_ZH", "VERDICT_ZH",
    "PasswordRefused", "Preview", "ResultError", "ResultForbidden", "ResultNotFound",
    "StaleResult", "assigned_tests", "can_view", "commit", "compute", "create_worksheet",
    "enter_result", "flush_or_stale", "history", "lab_worksheets", "method_for", "preview",
    "queue", "record_content", "record_hash", "result_for_test", "results_for_sample",
    "sample_ready_for_report", "send_back", "sign", "valid_signatures",
    "capability_for", "limit_pending", "method_choices", "method_label", "primed_capabilities",
    "result_display", "verdict_basis_zh", "switch_method", "lab_capabilities", "sign_many",
    "computation_steps", "sample_results_for_signing",
]

log = logging.getLogger(__name__)


def sample_results_for_signing(sample: Sample, user: User) -> list[TestResult]:
    """Every result of the sample (or of its sub-samples) tested in the user's lab."""
    carriers = sample.children or [sample]
    tests = [t for c in carriers for t in c.active_tests if t.lab_org_id == user.org_id]
    by_test = results_by_test(tests)
    return [by_test[t.id] for t in tests if t.id in by_test]


def commit() -> None:
    """Commit, then tell listeners (reports) which samples were fully approved.

    The signal goes out only after the approval is durable, once per approval; a listener
    that fails does not undo the approval (it is logged and the report can be issued later).
    """
    pending = db.session.info.pop(PENDING_APPROVALS, [])
    db.session.commit()
    for sample_id, user_id in pending:
        sample, user = db.session.get(Sample, sample_id), db.session.get(User, user_id)
        try:
            sample_approved.send(sample, user=user)
        except Exception:  # noqa: BLE001 - the approval stands; the listener's failure is logged
            log.exception("sample_approved listener failed for sample %s", sample.number)


def _forget_pending(session: Session, previous_transaction=None) -> None:
    # an approval rolled back is no approval; a savepoint rolled back inside it does not count
    if getattr(previous_transaction, "nested", False):
        return
    session.info.pop(PENDING_APPROVALS, None)


if not event.contains(Session, "after_soft_rollback", _forget_pending):
    event.listen(Session, "after_soft_rollback", _forget_pending)
