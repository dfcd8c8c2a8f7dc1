"""E-signatures 检验 → 审核 → 批准 (21 CFR Part 11): the password again (§11.200), printed
name, time and meaning (§11.50), bound to a SHA-256 of the exact record version (§11.70);
and the send-back that invalidates them."""

from __future__ import annotations

import json

from lims.audit.context import change_reason
from lims.core.db import utcnow
from lims.extensions import db
from lims.results.errors import (
    PasswordRefused,
    ResultError,
    ResultForbidden,
)
from lims.results.models import (
    ResultChange,
    ResultSignature,
    ResultStatus,
    SignatureMeaning,
    TestResult,
)
from lims.results.records import (
    MEANING_ZH,
    PENDING_APPROVALS,
    STATUS_LABEL_ZH,
    all_at_least,
    back_to_testing,
    check_bench,
    custody_event,
    flush_or_stale,
    history,
    invalidate,
    own_lab,
    record_hash,
    require,
    sample_ready_for_report,
    snapshot,
    stale,
    valid_signatures,
)
from lims.samples import services as samples
from lims.samples.lifecycle import SampleStatus
from lims.users.models import User
from lims.users.passwords import verify_password
from lims.users.roles import Permission
from lims.users.services import record_failure

# meaning -> (status before, status after, permission)
_STEPS = {
    SignatureMeaning.SUBMITTED: (ResultStatus.DRAFT, ResultStatus.SUBMITTED,
                                 Permission.ENTER_RESULT),
    SignatureMeaning.REVIEWED: (ResultStatus.SUBMITTED, ResultStatus.REVIEWED,
                                Permission.REVIEW_RESULT),
    SignatureMeaning.APPROVED: (ResultStatus.REVIEWED, ResultStatus.APPROVED,
                                Permission.APPROVE_REPORT),
}


def _reauthenticate(user: User, password: str) -> None:
    """The password again, counting failures toward the same lockout as the login."""
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        raise ResultForbidden("账户因多次密码错误已锁定，签名未生效")
    if not verify_password(user.password_hash, password or ""):
        locked = record_failure(user.id)  # one atomic count shared with the login
        db.session.expire(user, ["failed_logins", "locked_until"])
        if locked:
            raise PasswordRefused("密码错误次数过多，账户已锁定，签名未生效")
        raise PasswordRefused("密码错误，签名未生效")
    if user.failed_logins:
        user.failed_logins = 0


def _signer_of(result: TestResult, meaning: SignatureMeaning) -> int | None:
    signature = valid_signatures(result).get(meaning.value)
    return signature.user_id if signature else None


def _testers(result: TestResult) -> dict[int | None, str]:
    """Everyone who entered a version of this result (the reviewer and signatory must not)."""
    people: dict[int | None, str] = {result.tested_by_id: "检验"}
    for change in history(result):
        if change.kind == "edit":
            people[change.user_id] = "检验"
            people[json.loads(change.old_json or "{}").get("tested_by_id")] = "检验"
    return people


def sign(result: TestResult, user: User, meaning: str, password: str, *,
         expected_version: int | None = None) -> ResultSignature:
    """Sign the result as submitted, reviewed or approved (each a different person)."""
    try:
        meaning = SignatureMeaning(meaning)
    except ValueError:
        raise ResultError(f"未知的签名含义：{meaning}（submitted、reviewed、approved）",
                          "meaning") from None
    test = result.sample_test
    own_lab(user, test)
    before, after, permission = _STEPS[meaning]
    require(user, permission, f"{MEANING_ZH[meaning]}签名", test.lab_org_id)
    if expected_version is not None and int(expected_version) != result.version:
        raise stale(result)
    if result.status != before:
        raise ResultError(f"结果当前为“{STATUS_LABEL_ZH[result.status]}”，不能{MEANING_ZH[meaning]}"
                          "签名")
    if result.value is None:
        raise ResultError("结果尚未录入，不能签名")
    if meaning == SignatureMeaning.SUBMITTED:
        check_bench(user, test)
        if result.tested_by_id != user.id:
            raise ResultForbidden("只有录入该结果的检验员可以提交")
    involved = _testers(result)
    involved[_signer_of(result, SignatureMeaning.SUBMITTED)] = "提交"
    if meaning == SignatureMeaning.APPROVED:
        involved[_signer_of(result, SignatureMeaning.REVIEWED)] = "审核"
    if meaning != SignatureMeaning.SUBMITTED and user.id in involved:
        raise ResultForbidden(f"不能{MEANING_ZH[meaning]}本人{involved[user.id]}的结果")
    _reauthenticate(user, password)
    signature = ResultSignature(result=result, meaning=meaning.value, user_id=user.id,
                                printed_name=user.display_name, signed_at=utcnow(),
                                record_hash=record_hash(result))
    db.session.add(signature)
    result.status = after
    result.status_reason = None
    flush_or_stale(result)
    sample = test.sample
    name = test.test_item.name_zh
    if meaning == SignatureMeaning.SUBMITTED:
        custody_event(sample, user, f"“{name}”结果提交：{result.reported_value} {result.unit}")
        if sample.status == SampleStatus.IN_TESTING and all_at_least(
                sample, (ResultStatus.SUBMITTED, ResultStatus.REVIEWED, ResultStatus.APPROVED)):
            samples.transition(sample, SampleStatus.UNDER_REVIEW, user)
    elif meaning == SignatureMeaning.APPROVED and sample_ready_for_report(sample):
        if sample.status != SampleStatus.APPROVED:
            samples.transition(sample, SampleStatus.APPROVED, user)
        custody_event(sample, user, f"全部 {len(sample.active_tests)} 个检验项目结果已批准")
        db.session.flush()
        db.session.info.setdefault(PENDING_APPROVALS, []).append((sample.id, user.id))
    return signature


def send_back(result: TestResult, user: User, reason: str, *,
              expected_version: int | None = None) -> TestResult:
    """Return a submitted (by the reviewer) or reviewed (by the signatory) result to draft."""
    test = result.sample_test
    own_lab(user, test)
    reason = (reason or "").strip()
    if result.status == ResultStatus.SUBMITTED:
        require(user, Permission.REVIEW_RESULT, "退回待审核的结果", test.lab_org_id)
    elif result.status == ResultStatus.REVIEWED:
        require(user, Permission.APPROVE_REPORT, "退回待批准的结果", test.lab_org_id)
    else:
        raise ResultError(f"结果当前为“{STATUS_LABEL_ZH[result.status]}”，不能退回")
    if not reason:
        raise ResultError("退回必须填写原因", "reason")
    if expected_version is not None and int(expected_version) != result.version:
        raise stale(result)
    with change_reason(reason):
        before = snapshot(result)
        dropped = invalidate(result, f"退回：{reason}")
        result.status = ResultStatus.DRAFT
        result.status_reason = reason
        db.session.add(ResultChange(
            result_id=result.id, user_id=user.id, kind="send_back", reason=reason,
            old_json=json.dumps(before, ensure_ascii=False, sort_keys=True),
            new_json=json.dumps(snapshot(result), ensure_ascii=False, sort_keys=True)))
        custody_event(test.sample, user, f"“{test.test_item.name_zh}”结果退回（{reason}），"
               f"{len(dropped)} 个签名失效")
        flush_or_stale(result)
        back_to_testing(test.sample, user, f"结果退回：{reason}")
    return result
