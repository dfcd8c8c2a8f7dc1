"""Reading results: look-ups, the signed content and its hash, access checks, and the
write helpers shared by entry and signing (audit, custody timeline, stale versions)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from lims.capabilities.models import LabCapability
from lims.core.db import UTCDateTime, utcnow
from lims.extensions import db
from lims.instruments.services import local_date
from lims.limits.rounding import format_decimal
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
    Detection,
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


def normalised_standard(standard: str | None) -> str | None:
    """"GB 23200.8-2016 第一法" → "GB 23200.8" (None for no standard)."""
    return _number(standard)


def _number(standard: str | None) -> str | None:
    from lims.methods.loader import normalise_standard_number

    if not standard or not standard.strip():
        return None
    return normalise_standard_number(standard)[0]


def _methods_of(standard: str, analyte_key: str) -> list[Method]:
    return [m for m in find_methods(standard) if not m.analytes or analyte_key in m.analyte_keys]


def rules_allow(test: SampleTest, standard: str) -> bool:
    """The sampling rules (the item's method standards, or the test's own) list this method."""
    allowed = {_number(s) for s in (test.test_item.method_standards or "").split("|") if s}
    allowed.add(_number(test.method_standard))
    return _number(standard) in allowed - {None}


_CAPABILITIES = "lims.results.capabilities"  # session.info: primed look-ups of a page


def _covering(test: SampleTest, found: list[LabCapability], scopes: set[str]
              ) -> list[LabCapability]:
    from lims.capabilities.services import matches

    item, today = test.test_item, local_date()
    mine = [c for c in found if c.org_id == test.lab_org_id and (
        c.test_item_id == item.id or (c.test_item_id is None
                                      and c.analyte_key == item.analyte_key))]
    return sorted((c for c in mine if matches(c, item, scopes, today)),
                  key=lambda c: (c.test_item_id is None, c.id))


def lab_capabilities(test: SampleTest) -> list[LabCapability]:
    """The testing lab's capabilities that cover this test today, item-specific first."""
    from lims.capabilities.services import scope_codes

    if test.lab_org_id is None:
        return []
    primed = db.session.info.get(_CAPABILITIES)
    if primed is not None and test.id in primed:
        return primed[test.id]
    item = test.test_item
    found = list(db.session.scalars(sa.select(LabCapability).where(
        LabCapability.org_id == test.lab_org_id,
        sa.or_(LabCapability.test_item_id == item.id,
               sa.and_(LabCapability.test_item_id.is_(None),
                       LabCapability.analyte_key == item.analyte_key)))))
    return _covering(test, found, scope_codes(item))


@contextmanager
def primed_capabilities(tests: list[SampleTest]):
    """Within the block, :func:`lab_capabilities` of these tests needs no query: one query
    for every capability of their labs and items (a page of N tests, not N look-ups)."""
    from lims.capabilities.services import scope_codes

    tests = [t for t in tests if t.lab_org_id is not None]
    found = list(db.session.scalars(sa.select(LabCapability).where(
        LabCapability.org_id.in_({t.lab_org_id for t in tests}),
        sa.or_(LabCapability.test_item_id.in_({t.test_item_id for t in tests}),
               sa.and_(LabCapability.test_item_id.is_(None),
                       LabCapability.analyte_key.in_({t.test_item.analyte_key
                                                      for t in tests})))))) if tests else []
    scopes: dict[int, set[str]] = {}
    primed = {}
    for test in tests:
        sub = test.test_item.subcategory_id
        if sub not in scopes:
            scopes[sub] = scope_codes(test.test_item)
        primed[test.id] = _covering(test, found, scopes[sub])
    db.session.info[_CAPABILITIES] = primed
    try:
        yield
    finally:
        db.session.info.pop(_CAPABILITIES, None)


@dataclass(frozen=True)
class MethodChoice:
    """A method the technician may use for a test: the lab declares it (its capability)
    and the rules allow it."""

    method: Method
    capability: LabCapability | None

    @property
    def label(self) -> str:
        return method_label(self.method)


def method_label(method: Method) -> str:
    """The method as a report prints it: standard designation and part (第一法…)."""
    return f"{method.standard.designation} {method.part}".strip()


def method_choices(test: SampleTest) -> list[MethodChoice]:
    """Every method the testing lab declares for this test and the rules allow, the declared
    (routed) capability's method first."""
    key = test.test_item.analyte_key
    choices: list[MethodChoice] = []
    seen: set[str] = set()
    for capability in lab_capabilities(test):
        if not rules_allow(test, capability.method_standard):
            continue
        for method in _methods_of(capability.method_standard, key):
            if method.code not in seen:
                seen.add(method.code)
                choices.append(MethodChoice(method, capability))
    return choices


def capability_for(test: SampleTest, method: Method) -> LabCapability | None:
    """The lab's capability whose method standard is this method's (None: not declared)."""
    for capability in lab_capabilities(test):
        if _number(capability.method_standard) == method.standard.number:
            return capability
    return None


def method_for(test: SampleTest, method_key: str | None = None) -> Method:
    """The method a test is computed by: ``method_key`` (the one stored on the result) if
    given, else the method of the lab's declared capability (the one routing chose).

    A lab that declares no capability for the test (a test added by hand) is computed by
    the test's own method standard; never silently by another standard than the one shown.
    """
    item = test.test_item
    if method_key:
        method = load_methods().get(method_key)
        if method is None:
            raise ResultError(f"未知的检验方法：{method_key}", "method")
        if method.analytes and item.analyte_key not in method.analyte_keys:
            raise ResultError(f"方法 {method_key} 不测定 {item.name_zh}", "method")
        return method
    declared = lab_capabilities(test)
    standard = declared[0].method_standard if declared else test.method_standard
    if standard:
        found = _methods_of(standard, item.analyte_key)
        if found:
            return found[0]
        if find_methods(standard):
            raise ResultError(f"本实验室声明的方法 {standard} 不测定“{item.name_zh}”，"
                              "不能用其他方法代替；请核对能力声明或改派", "method")
    others = [c.label for c in method_choices(test)]
    hint = (f"；可改用本实验室声明且细则允许的方法（须填写原因）：{'、'.join(others)}"
            if others else "")
    where = "本实验室声明的方法" if declared else "检验项目的方法标准"
    raise ResultError(f"“{item.name_zh}”{where} {standard or '（无）'} 没有方法文件，"
                      f"无法按该方法计算结果{hint}", "method")


def result_display(result: TestResult) -> str:
    """The result as pages and reports print it: 未检出 with its limit, <LOQ, or the
    rounded value with its unit; a value below the LOD is never printed as a number."""
    unit = f" {result.unit}" if result.unit else ""
    if result.value is None and result.detection == Detection.DETECTED.value:
        return ""
    if result.detection == Detection.NOT_DETECTED.value or not result.detected:
        if result.lod is not None:
            return f"未检出（检出限 {format_decimal(result.lod)}{unit}）"
        if result.loq is not None:
            return f"未检出（定量限 {format_decimal(result.loq)}{unit}）"
        return "未检出"
    if result.detection == Detection.BELOW_LOQ.value:
        if result.reported_value.startswith("<"):
            return f"{result.reported_value}{unit}（检出，低于定量限）"
        loq = f"{format_decimal(result.loq)}{unit}" if result.loq is not None else ""
        return f"{result.reported_value}{unit}（低于定量限 {loq}，估计值）"
    return f"{result.reported_value}{unit}"


def verdict_basis_zh(result: TestResult) -> str:
    """How the verdict was reached: the GB/T 8170 comparison and the decision rule."""
    from lims.limits.judgement import COMPARISON_ZH, RULE_ZH

    parts = [COMPARISON_ZH.get(result.comparison or "", ""),
             RULE_ZH.get(result.decision_rule or "", "")]
    return "，".join(p for p in parts if p)


def limit_pending(result: TestResult) -> bool:
    """限量待核: the verdict rests on a limit row not checked against the standard's text."""
    return bool(result.limit_text) and result.limit_verified not in (None, "yes")


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
        **_judgement_content(result),
    }


def _judgement_content(result: TestResult) -> dict:
    """What the signature also vouches for since the verdict records how it was reached
    (left out while empty, so that a signature given before keeps its hash)."""
    extra = {"comparison": result.comparison, "decision_rule": result.decision_rule,
             "detection": (None if result.detection in (None, Detection.DETECTED.value)
                           else result.detection),
             "lod_source": result.lod_source,
             "method_standard": result.method_standard, "limit": result.limit_text,
             "limit_standard": result.limit_standard, "limit_verified": result.limit_verified}
    if result.lod_source is not None:  # the limits used, recorded since this field exists
        extra["lod"] = None if result.lod is None else format(result.lod, "f")
        extra["loq"] = None if result.loq is None else format(result.loq, "f")
    return {k: v for k, v in extra.items() if v is not None}


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


def settle_entry(result: TestResult, test: SampleTest, user: User, *, before: dict | None,
                 reason: str) -> TestResult:
    """The end of every result entry (food worksheet, API, drug entry), after the new values
    were written: a change to a saved value (``before`` holds its snapshot) drops the
    signatures, sends the record back to draft and is kept as a ResultChange; the sample
    moves into testing, or back to it from review. Stale versions are refused."""
    was = result.status
    if before is not None:
        dropped = invalidate(result, f"结果修改：{reason}")
        result.status = ResultStatus.DRAFT
        result.status_reason = reason
        db.session.add(ResultChange(
            result_id=result.id, user_id=user.id, kind="edit", reason=reason,
            old_json=json.dumps(before, ensure_ascii=False, sort_keys=True),
            new_json=json.dumps(snapshot(result), ensure_ascii=False, sort_keys=True)))
        if dropped or was != ResultStatus.DRAFT:
            custody_event(test.sample, user, f"“{test.test_item.name_zh}”结果修改，"
                          f"{len(dropped)} 个签名失效，退回草稿（{reason}）")
    flush_or_stale(result)
    sample = test.sample
    if sample.status in (SampleStatus.RECEIVED_AT_LAB, SampleStatus.RETEST):
        samples.transition(sample, SampleStatus.IN_TESTING, user)
    elif before is not None:
        back_to_testing(sample, user, f"结果修改：{reason}")
    return result


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
