"""Reading results: look-ups, the signed content and its hash, access checks, and the
write helpers shared by entry and signing (audit, custody timeline, stale versions)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from lims.core.db import UTCDateTime, utcnow
from lims.extensions import db
from lims.methods.loader import find_methods, load_methods
from lims.methods.method import Method
from lims.results.errors import (
    ResultError,
    ResultForbidden,
    ResultNotFound,
    StaleResult,
)
from lims.results.models import (
    SIGNATURE_ORDER,
    ResultChange,
    ResultSignature,
    ResultStatus,
    SignatureMeaning,
    TestResult,
    Verdict,
    Worksheet,
)
from lims.samples import services as samples
from lims.samples.lifecycle import STATUS_ZH, SampleStatus
from lims.samples.models import CustodyEvent, CustodyKind, Sample, SampleTest
from lims.users.access import allowed
from lims.users.models import User
from lims.users.roles import Permission

# A sample's tests can be worked on while the lab holds it in one of these states.
ENTRY_STATUSES = (SampleStatus.RECEIVED_AT_LAB, SampleStatus.IN_TESTING,
                  SampleStatus.UNDER_REVIEW, SampleStatus.RETEST)

MEANING_ZH = {
    SignatureMeaning.SUBMITTED: "检验",
    SignatureMeaning.REVIEWED: "审核",
    SignatureMeaning.APPROVED: "批准",
}

STATUS_LABEL_ZH = {
    ResultStatus.DRAFT: "草稿",
    ResultStatus.SUBMITTED: "已提交",
    ResultStatus.REVIEWED: "已审核",
    ResultStatus.APPROVED: "已批准",
}

VERDICT_ZH = {Verdict.PASS: "符合", Verdict.FAIL: "不符合", Verdict.NOT_JUDGED: "未判定"}

MAX_ID = 2**31 - 1  # the largest integer primary key (a larger one would overflow the query)

# session.info key: samples fully approved in this transaction, announced after commit
PENDING_APPROVALS = "lims.results.approved_samples"


def result_for_test(test: SampleTest) -> TestResult | None:
    return db.session.scalar(sa.select(TestResult).where(TestResult.sample_test_id == test.id))


def results_for_sample(sample: Sample) -> list[TestResult]:
    """Results of the sample's active tests (tests without a result are left out)."""
    ids = [t.id for t in sample.active_tests]
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(TestResult).where(TestResult.sample_test_id.in_(ids)).order_by(TestResult.id)))


ASSIGNED_PAGE_SIZE = 50
ASSIGNED_PAGE_MAX = 200


def _assigned_query(user: User, open_only: bool) -> sa.Select:
    # The sample and the item come with each test in the same query: the bench list and the
    # API show them for every row (one query per row was the N+1 the load test found).
    query = (sa.select(SampleTest).join(Sample, SampleTest.sample_id == Sample.id)
             .outerjoin(TestResult, TestResult.sample_test_id == SampleTest.id)
             .where(SampleTest.lab_org_id == user.org_id, SampleTest.removed.is_(False),
                    Sample.holder_org_id == user.org_id, Sample.status.in_(ENTRY_STATUSES))
             .options(contains_eager(SampleTest.sample), joinedload(SampleTest.test_item))
             .order_by(Sample.received_at, Sample.id, SampleTest.id))
    if open_only:
        query = query.where(sa.or_(TestResult.id.is_(None),
                                   TestResult.status == ResultStatus.DRAFT))
    return query


def assigned_tests(user: User, *, open_only: bool = False) -> list[SampleTest]:
    """Tests of the user's lab on samples the lab holds, oldest received first.

    ``open_only``: only tests without a result or with a draft one (the bench's to-do list).
    """
    return list(db.session.scalars(_assigned_query(user, open_only)))


@dataclass(frozen=True)
class AssignedPage:
    """One keyset page of a lab's assigned tests, with their results loaded alongside."""

    tests: list[SampleTest]
    results: dict[int, TestResult]  # by SampleTest id; a test without a result is absent
    next_cursor: str | None


def _encode_cursor(test: SampleTest) -> str:
    raw = json.dumps([test.sample.received_at.isoformat(), test.sample_id, test.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when, sample_id, test_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        moment = dt.datetime.fromisoformat(when)
        ids_ok = all(type(i) is int and 0 < i <= MAX_ID for i in (sample_id, test_id))
        if moment.tzinfo is None or not ids_ok:
            raise ValueError(cursor)
        return moment.astimezone(dt.UTC), sample_id, test_id
    except (ValueError, TypeError, OverflowError, UnicodeError, binascii.Error) as exc:
        raise ResultError("分页游标（after）无效，请从第一页重新读取", "after") from exc


def assigned_page(user: User, *, after: str | None = None,
                  limit: int = ASSIGNED_PAGE_SIZE) -> AssignedPage:
    """The next ``limit`` assigned tests after the cursor ``after`` (a page's
    ``next_cursor``), in :func:`assigned_tests` order, with their results: a few queries
    whatever the page holds."""
    if not 1 <= limit <= ASSIGNED_PAGE_MAX:
        raise ResultError(f"每页数量（limit）应为 1 到 {ASSIGNED_PAGE_MAX} 的整数", "limit")
    query = _assigned_query(user, open_only=False)
    if after:
        moment, sample_id, test_id = _decode_cursor(after)
        # keyset: strictly after the last row shown, on the order's own columns
        query = query.where(sa.tuple_(Sample.received_at, Sample.id, SampleTest.id)
                            > sa.tuple_(sa.literal(moment, UTCDateTime()), sample_id, test_id))
    tests = list(db.session.scalars(query.limit(limit + 1)))
    next_cursor = None
    if len(tests) > limit:
        tests = tests[:limit]
        next_cursor = _encode_cursor(tests[-1])
    return AssignedPage(tests, results_by_test(tests), next_cursor)


def results_by_test(tests: list[SampleTest]) -> dict[int, TestResult]:
    """{SampleTest id: its result} in one query, with what a result's JSON shows (signers,
    worksheet, technician) loaded alongside instead of one query per result."""
    ids = [t.id for t in tests]
    if not ids:
        return {}
    results = db.session.scalars(
        sa.select(TestResult).where(TestResult.sample_test_id.in_(ids))
        .options(joinedload(TestResult.tested_by), joinedload(TestResult.worksheet),
                 selectinload(TestResult.signatures).joinedload(ResultSignature.user)))
    return {r.sample_test_id: r for r in results}


def queue(user: User, status: ResultStatus) -> list[TestResult]:
    """Results of the user's lab waiting in ``status`` (review queue: SUBMITTED, …)."""
    return list(db.session.scalars(
        sa.select(TestResult).join(SampleTest, TestResult.sample_test_id == SampleTest.id)
        .where(SampleTest.lab_org_id == user.org_id, TestResult.status == status,
               SampleTest.removed.is_(False))
        .order_by(TestResult.updated_at, TestResult.id)))


def lab_worksheets(user: User, limit: int = 100) -> list[Worksheet]:
    return list(db.session.scalars(
        sa.select(Worksheet).where(Worksheet.lab_org_id == user.org_id)
        .order_by(Worksheet.id.desc()).limit(limit)))


def method_for(test: SampleTest, method_key: str | None = None) -> Method:
    """The method for the test: ``method_key`` if given, else the test's method standard,
    else the other method standards the sampling rules list for the item."""
    item = test.test_item
    if method_key:
        method = load_methods().get(method_key)
        if method is None:
            raise ResultError(f"未知的检验方法：{method_key}", "method")
        if method.analytes and item.analyte_key not in method.analyte_keys:
            raise ResultError(f"方法 {method_key} 不测定 {item.name_zh}", "method")
        return method
    standards = [test.method_standard] if test.method_standard else []
    standards += [s for s in (item.method_standards or "").split("|")
                  if s and s not in standards]
    for standard in standards:
        for method in find_methods(standard):
            if item.analyte_key in method.analyte_keys:
                return method
    shown = "、".join(standards) or "（无）"
    raise ResultError(f"检验项目“{item.name_zh}”的方法标准 {shown} 没有方法文件，无法计算结果",
                      "method")


def can_view(user: User, result: TestResult) -> bool:
    return samples.can_view(user, result.sample_test.sample)


def record_content(result: TestResult) -> dict:
    """The fields a signature vouches for, in a canonical form."""
    test = result.sample_test
    return {
        "sample": test.sample.number,
        "item": test.test_item.code,
        "item_name": test.test_item.name_zh,
        "method": result.method_key,
        "inputs": json.loads(result.inputs_json or "{}"),
        "value": None if result.value is None else format(result.value, "f"),
        "reported_value": result.reported_value,
        "unit": result.unit,
        "verdict": result.verdict,
    }


def record_hash(result: TestResult) -> str:
    canonical = json.dumps(record_content(result), ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def valid_signatures(result: TestResult) -> dict[str, ResultSignature]:
    """Signatures that still apply: not invalidated and bound to the current content."""
    current = record_hash(result)
    return {s.meaning: s for s in result.signatures
            if s.invalidated_at is None and s.record_hash == current}


def sample_ready_for_report(sample: Sample) -> bool:
    """Every active test has an approved result with its three signatures still valid."""
    tests = sample.active_tests
    if not tests:
        return False
    by_test = {r.sample_test_id: r for r in results_for_sample(sample)}
    for test in tests:
        result = by_test.get(test.id)
        if result is None or result.status != ResultStatus.APPROVED:
            return False
        if set(valid_signatures(result)) != {m.value for m in SIGNATURE_ORDER}:
            return False
    return True


def all_at_least(sample: Sample, statuses: tuple[ResultStatus, ...]) -> bool:
    by_test = {r.sample_test_id: r for r in results_for_sample(sample)}
    return all(t.id in by_test and by_test[t.id].status in statuses for t in sample.active_tests)


def history(result: TestResult) -> list[ResultChange]:
    return list(db.session.scalars(sa.select(ResultChange).where(
        ResultChange.result_id == result.id).order_by(ResultChange.id)))


def own_lab(user: User, test: SampleTest) -> None:
    if test.lab_org_id != user.org_id:
        raise ResultNotFound("未找到该检验项目")


def require(user: User, permission: Permission, what: str, lab: int | None = None) -> None:
    """The role's permission; with ``lab``, for that lab's records (lims.users.access)."""
    if not (user.can(permission) if lab is None else allowed(user, permission, lab)):
        raise ResultForbidden(f"当前用户无权{what}")


def check_bench(user: User, test: SampleTest) -> None:
    own_lab(user, test)
    require(user, Permission.ENTER_RESULT, "录入检验结果", test.lab_org_id)
    sample = test.sample
    if test.removed:
        raise ResultError(f"检验项目“{test.test_item.name_zh}”已从检验方案中删除")
    if sample.holder_org_id != user.org_id or sample.status not in ENTRY_STATUSES:
        raise ResultError(f"样品 {sample.number} 当前为“{STATUS_ZH[sample.status]}”，"
                          "本实验室接收样品后才能录入结果")


def stale(result: TestResult) -> StaleResult:
    db.session.refresh(result)
    who = result.tested_by.display_name if result.tested_by else ""
    return StaleResult(f"该结果已被他人修改（当前版本 {result.version}，{who}，报告值 "
                       f"{result.reported_value or '—'} {result.unit}）；请查看后重新提交",
                       result)


def check_version(result: TestResult, expected_version: int | None) -> None:
    if expected_version is None:
        raise ResultError("缺少记录版本号（version），无法防止覆盖他人的修改", "version")
    if int(expected_version) != result.version:
        raise stale(result)


def snapshot(result: TestResult) -> dict:
    data = record_content(result)
    data["status"] = result.status.value
    data["tested_by_id"] = result.tested_by_id
    return data


def invalidate(result: TestResult, reason: str) -> list[ResultSignature]:
    now = utcnow()
    dropped = []
    for signature in result.signatures:
        if signature.invalidated_at is None:
            signature.invalidated_at = now
            signature.invalidated_reason = reason
            dropped.append(signature)
    return dropped


def custody_event(sample: Sample, user: User, summary: str) -> None:
    db.session.add(CustodyEvent(sample=sample, kind=CustodyKind.RESULT, by_user_id=user.id,
                                summary=summary, at=utcnow()))


def back_to_testing(sample: Sample, user: User, reason: str) -> None:
    if sample.status == SampleStatus.UNDER_REVIEW:
        samples.transition(sample, SampleStatus.IN_TESTING, user, reason=reason)


def flush_or_stale(result: TestResult) -> None:
    test_id = result.sample_test_id or result.sample_test.id
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        # another transaction committed a newer version (or the first result of this test)
        # between our read and our write: nothing of ours is kept, theirs is shown
        db.session.rollback()
        current = db.session.scalar(sa.select(TestResult)
                                    .where(TestResult.sample_test_id == test_id))
        if current is None:
            raise
        raise stale(current) from None
