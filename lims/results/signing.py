"""E-signatures 检验 → 审核 → 批准 (21 CFR Part 11): the password again (§11.200), printed
name, time and meaning (§11.50), bound to a SHA-256 of the exact record version (§11.70);
and the send-back that invalidates them."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping

from lims.audit.context import change_reason
from lims.core.db import utcnow
from lims.extensions import db
from lims.results.errors import (
    PasswordRefused,
    ResultError,
    ResultForbidden,
    StaleResult,
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
    limit_pending,
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


def _meaning(meaning: str) -> SignatureMeaning:
    try:
        return SignatureMeaning(meaning)
    except ValueError:
        raise ResultError(f"未知的签名含义：{meaning}（submitted、reviewed、approved）",
                          "meaning") from None


def _check(result: TestResult, user: User, meaning: SignatureMeaning,
           expected_version: int | None, confirm_limit: bool) -> None:
    """Everything that must hold before this person signs this record (no password yet)."""
    test = result.sample_test
    own_lab(user, test)
    before, _after, permission = _STEPS[meaning]
    require(user, permission, f"{MEANING_ZH[meaning]}签名", test.lab_org_id)
    name = test.test_item.name_zh
    if expected_version is not None and int(expected_version) != result.version:
        raise stale(result)
    if result.status != before:
        raise ResultError(f"“{name}”结果当前为“{STATUS_LABEL_ZH[result.status]}”，"
                          f"不能{MEANING_ZH[meaning]}签名")
    if result.value is None:
        raise ResultError(f"“{name}”结果尚未录入，不能签名")
    if meaning == SignatureMeaning.SUBMITTED:
        check_bench(user, test)
        if result.tested_by_id != user.id:
            raise ResultForbidden("只有录入该结果的检验员可以提交")
    involved = _testers(result)
    involved[_signer_of(result, SignatureMeaning.SUBMITTED)] = "提交"
    if meaning == SignatureMeaning.APPROVED:
        involved[_signer_of(result, SignatureMeaning.REVIEWED)] = "审核"
    if meaning != SignatureMeaning.SUBMITTED and user.id in involved:
        raise ResultForbidden(f"不能{MEANING_ZH[meaning]}本人{involved[user.id]}的结果"
                              f"（“{name}”）")
    if meaning == SignatureMeaning.APPROVED and limit_pending(result) and not confirm_limit:
        raise ResultError(f"“{name}”的限量 {result.limit_text}（{result.limit_standard or ''}"
                          f"{(' ' + result.limit_clause) if result.limit_clause else ''}）"
                          "未经核对（限量待核）：批准前请对照标准原文核对并确认", "confirm_limit")


def _apply(result: TestResult, user: User, meaning: SignatureMeaning,
           limit_confirmed: bool) -> ResultSignature:
    """The signature, bound to this record's own hash, and what follows from it."""
    _before, after, _permission = _STEPS[meaning]
    test = result.sample_test
    name = test.test_item.name_zh
    confirmed = meaning == SignatureMeaning.APPROVED and limit_confirmed and limit_pending(result)
    note = (f"批准人已对照标准核对限量：{name} {result.limit_text} {result.limit_standard or ''}"
            f"{(' ' + result.limit_clause) if result.limit_clause else ''}".strip()
            if confirmed else None)
    with change_reason(note):
        signature = ResultSignature(result=result, meaning=meaning.value, user_id=user.id,
                                    printed_name=user.display_name, signed_at=utcnow(),
                                    record_hash=record_hash(result),
                                    limit_confirmed=confirmed)
        db.session.add(signature)
        result.status = after
        result.status_reason = None
        flush_or_stale(result)
    sample = test.sample
    if note:
        custody_event(sample, user, note)
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


def sign(result: TestResult, user: User, meaning: str, password: str, *,
         expected_version: int | None = None, confirm_limit: bool = False) -> ResultSignature:
    """Sign the result as submitted, reviewed or approved (each a different person).

    Approving a verdict that rests on an unverified limit (限量待核) needs ``confirm_limit``:
    the signatory checked the limit against the standard; it is kept with the signature.
    """
    step = _meaning(meaning)
    _check(result, user, step, expected_version, confirm_limit)
    _reauthenticate(user, password)
    return _apply(result, user, step, confirm_limit)


def sign_many(results: list[TestResult], user: User, meaning: str, password: str, *,
              versions: Mapping[int, int] | None = None,
              confirmed_limits: Collection[int] = ()) -> list[ResultSignature]:
    """Sign several results with one password entry (21 CFR 11.200(a)(1)(i): a series of
    signings in one continuous session); each record gets its own signature bound to its
    own hash.  All or nothing: one record that may not be signed refuses the whole series
    before the password is checked, and a wrong password signs nothing.

    ``versions``: {result id: the version the signer saw}; ``confirmed_limits``: ids of the
    results whose unverified limit the signatory checked against the standard.
    """
    step = _meaning(meaning)
    chosen = list({r.id: r for r in results}.values())
    if not chosen:
        raise ResultError("请至少选择一个结果", "results")
    versions = versions or {}
    confirmed = set(confirmed_limits)
    problems: list[ResultError] = []
    for result in chosen:
        try:
            _check(result, user, step, versions.get(result.id), result.id in confirmed)
        except StaleResult:
            raise
        except ResultError as exc:
            if isinstance(exc, ResultForbidden) and exc.message.startswith("当前用户无权"):
                raise
            problems.append(exc)
    if problems:
        refusal = ResultForbidden if any(isinstance(p, ResultForbidden) for p in problems) \
            else ResultError
        fields = {p.field for p in problems}
        raise refusal("未签名（全部未生效）：" + "；".join(p.message for p in problems),
                      fields.pop() if len(fields) == 1 else "results")
    _reauthenticate(user, password)
    return [_apply(result, user, step, result.id in confirmed) for result in chosen]


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
