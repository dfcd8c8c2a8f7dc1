"""检验 → 审核 → 批准: three people, the password each time, bound to the record version."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from lims.audit.models import AuditEntry
from lims.audit.services import verify_chain
from lims.extensions import db
from lims.results import services
from lims.results.models import ResultSignature, ResultStatus
from lims.results.signals import sample_approved
from lims.samples.lifecycle import SampleStatus
from lims.samples.models import CustodyKind
from tests.conftest import PASSWORD

from .conftest import LEAD


def _sign(result, user, meaning, password=PASSWORD):
    signature = services.sign(result, user, meaning, password)
    services.commit()
    return signature


def _through_review(results, people):
    for result in results.values():
        _sign(result, people["tech"], "submitted")
    for result in results.values():
        _sign(result, people["reviewer"], "reviewed")


@pytest.fixture
def received_signals():
    seen = []

    def listener(sample, user=None):
        seen.append((sample.number, user.username))

    sample_approved.connect(listener)
    yield seen
    sample_approved.disconnect(listener)


def test_three_signatures_approve_the_sample_and_the_signal_fires_once(
        people, sample, entered, received_signals):
    results = entered()
    lead, cadmium = results["铅"], results["镉"]
    submitted = _sign(lead, people["tech"], "submitted")
    assert lead.status == ResultStatus.SUBMITTED
    assert submitted.printed_name == "王检验" and submitted.signed_at is not None
    assert submitted.record_hash == services.record_hash(lead) and len(submitted.record_hash) == 64
    assert sample.status == SampleStatus.IN_TESTING  # cadmium not yet submitted
    _sign(cadmium, people["tech"], "submitted")
    assert sample.status == SampleStatus.UNDER_REVIEW
    _sign(lead, people["reviewer"], "reviewed")
    _sign(cadmium, people["reviewer"], "reviewed")
    _sign(lead, people["signatory"], "approved")
    assert received_signals == []  # one test still waits for approval
    assert not services.sample_ready_for_report(sample)
    _sign(cadmium, people["signatory"], "approved")
    assert received_signals == [(sample.number, "zhao")]
    assert sample.status == SampleStatus.APPROVED
    assert services.sample_ready_for_report(sample)
    assert set(services.valid_signatures(lead)) == {"submitted", "reviewed", "approved"}
    assert [(s.meaning, s.user.username) for s in lead.signatures] == [
        ("submitted", "wang"), ("reviewed", "zhang"), ("approved", "zhao")]
    assert any(e.kind == CustodyKind.RESULT and "已批准" in e.summary for e in sample.events)
    db.session.expire_all()
    assert received_signals == [(sample.number, "zhao")]  # exactly once
    assert verify_chain().intact  # every result, signature and status change is in the audit chain
    signed_rows = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.table_name == "result_signature", AuditEntry.action == "create")).all()
    assert len(signed_rows) == 6
    assert {json.loads(r.new_value)["printed_name"] for r in signed_rows} == {
        "王检验", "张审核", "赵批准"}
    with pytest.raises(services.ResultError, match="已批准的结果不能修改"):
        services.enter_result(lead.sample_test, people["tech"], LEAD,
                              expected_version=lead.version, reason="x")


def test_wrong_password_signs_nothing_and_counts_toward_lockout(app, people, entered):
    lead = entered()["铅"]
    tech = people["tech"]
    with pytest.raises(services.PasswordRefused, match="密码错误"):
        services.sign(lead, tech, "submitted", "not-my-password")
    db.session.commit()  # the view keeps the failure count
    assert tech.failed_logins == 1 and lead.status == ResultStatus.DRAFT
    assert db.session.scalar(sa.select(sa.func.count(ResultSignature.id))) == 0
    for _ in range(app.config["MAX_FAILED_LOGINS"] - 1):
        with pytest.raises(services.PasswordRefused):
            services.sign(lead, tech, "submitted", "still-wrong")
        db.session.commit()
    assert tech.locked_until is not None
    with pytest.raises(services.ResultForbidden, match="锁定"):
        services.sign(lead, tech, "submitted", PASSWORD)  # even the right one, while locked


def test_reviewer_cannot_review_own_result(people, tests_of):
    senior = people["senior"]
    result = services.enter_result(tests_of["铅"], senior, LEAD)
    _sign(result, senior, "submitted")
    with pytest.raises(services.ResultForbidden, match="不能审核本人"):
        services.sign(result, senior, "reviewed", PASSWORD)
    assert result.status == ResultStatus.SUBMITTED
    # a colleague changes the result and submits it: the first tester still may not review
    services.enter_result(tests_of["铅"], people["tech"], {**LEAD, "rho": "13.0"},
                          expected_version=result.version, reason="重新进样")
    _sign(result, people["tech"], "submitted")
    assert result.tested_by_id == people["tech"].id
    with pytest.raises(services.ResultForbidden, match="不能审核本人检验"):
        services.sign(result, senior, "reviewed", PASSWORD)
    _sign(result, people["reviewer"], "reviewed")
    assert result.status == ResultStatus.REVIEWED


def test_signatory_cannot_approve_what_they_tested_or_reviewed(people, tests_of, entered):
    senior = people["senior"]
    tested = services.enter_result(tests_of["铅"], senior, LEAD)
    _sign(tested, senior, "submitted")
    _sign(tested, people["reviewer"], "reviewed")
    with pytest.raises(services.ResultForbidden, match="不能批准本人(检验|提交)"):
        services.sign(tested, senior, "approved", PASSWORD)
    other = services.enter_result(tests_of["镉"], people["tech"],
                                  {"c1": "2.5", "c0": "0.1", "V": "25", "m": "0.5"})
    _sign(other, people["tech"], "submitted")
    _sign(other, senior, "reviewed")
    with pytest.raises(services.ResultForbidden, match="不能批准本人审核"):
        services.sign(other, senior, "approved", PASSWORD)


def test_roles_and_labs_are_enforced(people, entered):
    lead = entered()["铅"]
    with pytest.raises(services.ResultForbidden, match="只有录入"):
        services.sign(lead, people["tech2"], "submitted", PASSWORD)
    _sign(lead, people["tech"], "submitted")
    with pytest.raises(services.ResultForbidden, match="无权审核"):
        services.sign(lead, people["signatory"], "reviewed", PASSWORD)
    with pytest.raises(services.ResultNotFound):
        services.sign(lead, people["county_reviewer"], "reviewed", PASSWORD)
    with pytest.raises(services.ResultError, match="不能批准"):
        services.sign(lead, people["signatory"], "approved", PASSWORD)  # not reviewed yet


def test_a_later_change_invalidates_signatures_and_sends_back(people, sample, entered):
    results = entered()
    _through_review(results, people)
    lead = results["铅"]
    assert sample.status == SampleStatus.UNDER_REVIEW
    services.enter_result(lead.sample_test, people["tech"], {**LEAD, "rho": "13.5"},
                          expected_version=lead.version, reason="复核原始记录，吸光度抄错")
    services.commit()
    assert lead.status == ResultStatus.DRAFT
    assert services.valid_signatures(lead) == {}
    assert all(s.invalidated_at is not None and "吸光度抄错" in s.invalidated_reason
               for s in lead.signatures)
    assert sample.status == SampleStatus.IN_TESTING
    with pytest.raises(services.ResultError, match="不能批准"):
        services.sign(lead, people["signatory"], "approved", PASSWORD)


def test_a_signature_no_longer_matching_the_record_is_not_valid(people, entered):
    lead = entered()["铅"]
    _sign(lead, people["tech"], "submitted")
    # a change behind the application's back (e.g. in the database) breaks the binding
    db.session.execute(sa.update(lead.__table__).where(lead.__table__.c.id == lead.id)
                       .values(reported_value="0.10"))
    db.session.commit()
    db.session.expire_all()
    assert services.valid_signatures(lead) == {}


def test_send_back_with_reason_at_each_step(people, sample, entered):
    results = entered()
    lead = results["铅"]
    _sign(lead, people["tech"], "submitted")
    with pytest.raises(services.ResultError, match="必须填写原因"):
        services.send_back(lead, people["reviewer"], "  ")
    services.send_back(lead, people["reviewer"], "空白值偏高，请复测空白")
    services.commit()
    assert lead.status == ResultStatus.DRAFT and lead.status_reason == "空白值偏高，请复测空白"
    assert services.valid_signatures(lead) == {}
    services.enter_result(lead.sample_test, people["tech"], {**LEAD, "rho0": "0.4"},
                          expected_version=lead.version, reason="复测空白")
    _through_review(results, people)
    assert sample.status == SampleStatus.UNDER_REVIEW
    with pytest.raises(services.ResultForbidden):
        services.send_back(lead, people["reviewer"], "审核员不能退回已审核的结果")
    services.send_back(lead, people["signatory"], "方法偏离未记录")
    services.commit()
    assert lead.status == ResultStatus.DRAFT and sample.status == SampleStatus.IN_TESTING
    kinds = [c.kind for c in services.history(lead)]
    assert kinds == ["send_back", "edit", "send_back"]


def test_an_approval_rolled_back_sends_nothing(people, sample, entered, received_signals):
    results = entered()
    _through_review(results, people)
    for result in results.values():
        services.sign(result, people["signatory"], "approved", PASSWORD)
    db.session.rollback()  # e.g. the page failed after signing: nothing was approved
    services.commit()
    assert received_signals == []
    db.session.expire_all()
    assert {r.status for r in results.values()} == {ResultStatus.REVIEWED}
    assert sample.status == SampleStatus.UNDER_REVIEW
