"""``/api/v1/results``: the bench's assigned tests, result inputs, e-signatures, send-back.

A token user works only with the tests of their own lab; any other id answers 404, so the API
does not reveal other labs' work.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import jsonify, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from lims.core.api import ApiError, api_bp, api_login_required
from lims.core.openapi import ErrorModel, documented
from lims.extensions import db
from lims.results import services
from lims.results.models import TestResult
from lims.results.schemas import (
    AssignedOut,
    AssignedQuery,
    MethodSwitchIn,
    ResultInputsIn,
    ResultOut,
    SendBackIn,
    SignIn,
    SignManyIn,
    SignManyOut,
    SignOut,
    StaleOut,
)
from lims.samples.lifecycle import TransitionError
from lims.samples.models import SampleTest
from lims.users.roles import Permission

_ERRORS = {403: ErrorModel, 404: ErrorModel, 422: ErrorModel}


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _dec(value) -> str | None:
    return None if value is None else format(value, "f")


def signature_json(signature, valid: bool) -> dict:
    return {"meaning": signature.meaning, "user": signature.user.username,
            "printed_name": signature.printed_name, "signed_at": _iso(signature.signed_at),
            "record_hash": signature.record_hash, "valid": valid,
            "invalidated_at": _iso(signature.invalidated_at) if signature.invalidated_at
            else None, "invalidated_reason": signature.invalidated_reason}


def result_json(result: TestResult) -> dict:
    test = result.sample_test
    valid = {s.id for s in services.valid_signatures(result).values()}
    return {
        "id": result.id, "test_id": test.id, "sample": test.sample.number,
        "item": test.test_item.name_zh, "item_code": test.test_item.code,
        "method": result.method_key, "inputs": json.loads(result.inputs_json or "{}"),
        "value": _dec(result.value), "reported_value": result.reported_value,
        "unit": result.unit, "detected": result.detected, "lod": _dec(result.lod),
        "loq": _dec(result.loq), "limit": result.limit_text,
        "limit_standard": result.limit_standard, "verdict": result.verdict,
        "verdict_reason": result.verdict_reason, "comparison": result.comparison,
        "decision_rule": result.decision_rule, "detection": result.detection,
        "display": services.result_display(result), "lod_source": result.lod_source,
        "limit_clause": result.limit_clause, "limit_verified": result.limit_verified,
        "limit_pending": services.limit_pending(result),
        "method_standard": result.method_standard, "method_reason": result.method_reason,
        "status": result.status.value,
        "status_reason": result.status_reason, "tested_by": result.tested_by.username,
        "tested_on": result.tested_on.isoformat(),
        "worksheet": result.worksheet.number if result.worksheet else None,
        "version": result.version, "record_hash": services.record_hash(result),
        "signatures": [signature_json(s, s.id in valid) for s in result.signatures],
    }


def _method_json(test: SampleTest, result: TestResult | None = None
                 ) -> tuple[dict | None, str | None]:
    try:
        method = services.method_for(test, result.method_key if result else None)
    except services.ResultError as exc:
        return None, exc.message
    return {"code": method.code, "standard": method.standard.designation,
            "result_unit": method.result_unit,
            "inputs": [{"name": s.name, "label": s.label_zh, "unit": s.unit, "source": s.source,
                        "required": s.required} for s in method.inputs]}, None


def _body(model: type[BaseModel]) -> BaseModel:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ApiError("请求体必须是 JSON 对象", 422)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ApiError("请求内容有误", 422, {".".join(map(str, e["loc"])) or "body": e["msg"]
                                          for e in exc.errors()}) from None


def _refuse(exc: services.ResultError) -> ApiError:
    if isinstance(exc, services.StaleResult):
        return ApiError(exc.message, 409, {"current": result_json(exc.current)})
    details = {exc.field: exc.message} if exc.field else None
    return ApiError(exc.message, exc.status, details)


def _get(model, ident: int):
    # a larger id than an integer key holds cannot exist (and would overflow the query)
    return db.session.get(model, ident) if 0 < ident <= services.MAX_ID else None


def _own_result(result_id: int) -> TestResult:
    result = _get(TestResult, result_id)
    if result is None or result.sample_test.lab_org_id != current_user.org_id:
        raise ApiError(f"未找到结果 {result_id}", 404)
    return result


@api_bp.get("/results/assigned")
@api_login_required(Permission.ENTER_RESULT)
@documented("Tests assigned to the token user's lab, on samples the lab holds (keyset pages)",
            query=AssignedQuery, responses={200: AssignedOut, 403: ErrorModel, 422: ErrorModel},
            tags=("results",),
            description="Oldest received first; pass the answer's `next` as `after` for the "
                        "following page (`next` is null on the last page).")
def assigned():
    try:
        limit = int(request.args.get("limit", services.ASSIGNED_PAGE_SIZE))
    except ValueError:
        limit = 0  # not a number: refused below with the range
    try:
        page = services.assigned_page(current_user, after=request.args.get("after"),
                                      limit=limit)
    except services.ResultError as exc:
        raise _refuse(exc) from None
    out = []
    with services.primed_capabilities(page.tests):
        methods = {t.id: _method_json(t, page.results.get(t.id)) for t in page.tests}
    for test in page.tests:
        method, error = methods[test.id]
        result = page.results.get(test.id)
        out.append({"test_id": test.id, "sample": test.sample.number,
                    "food": test.sample.food_name, "item": test.test_item.name_zh,
                    "item_code": test.test_item.code, "method_standard": test.method_standard,
                    "method": method, "method_error": error,
                    "result": result_json(result) if result else None})
    return jsonify({"tests": out, "next": page.next_cursor})


@contextmanager
def _applied() -> Iterator[None]:
    """Commit what the block did, or roll it back and answer with the refusal (a wrong
    password is the exception: its failure count is kept, toward the lockout)."""
    try:
        yield
        services.commit()
    except services.PasswordRefused as exc:
        db.session.commit()
        raise _refuse(exc) from None
    except services.ResultError as exc:
        db.session.rollback()
        raise _refuse(exc) from None
    except TransitionError as exc:
        db.session.rollback()
        raise ApiError(str(exc), 422) from None


@api_bp.post("/results/tests/<int:test_id>")
@api_login_required(Permission.ENTER_RESULT)
@documented("Enter the inputs of a test: computed, rounded and judged at once",
            request=ResultInputsIn,
            responses={200: ResultOut, 201: ResultOut, 409: StaleOut, **_ERRORS},
            tags=("results",),
            description="A changed saved result needs `reason` and `version`; a stale "
                        "`version` is refused with 409 and the stored result.")
def enter(test_id: int):
    body = _body(ResultInputsIn)
    test = _get(SampleTest, test_id)
    if test is None or test.lab_org_id != current_user.org_id:
        raise ApiError(f"未找到检验项目 {test_id}", 404)
    created = services.result_for_test(test) is None
    inputs = {k: v.model_dump() if isinstance(v, BaseModel) else v
              for k, v in body.inputs.items()}
    with _applied():
        result = services.enter_result(test, current_user, inputs,
                                       expected_version=body.version, reason=body.reason,
                                       unit=body.unit)
    return jsonify(result_json(result)), 201 if created else 200


@api_bp.post("/results/tests/<int:test_id>/method")
@api_login_required(Permission.ENTER_RESULT)
@documented("Compute a test by another method the lab declares and the rules allow",
            request=MethodSwitchIn, responses={200: ResultOut, 409: StaleOut, **_ERRORS},
            tags=("results",),
            description="The reason is kept with the result and in the audit trail; values "
                        "computed by the former method are cleared, its signatures invalidated.")
def switch_method(test_id: int):
    body = _body(MethodSwitchIn)
    test = _get(SampleTest, test_id)
    if test is None or test.lab_org_id != current_user.org_id:
        raise ApiError(f"未找到检验项目 {test_id}", 404)
    with _applied():
        result = services.switch_method(test, current_user, body.method, body.reason,
                                        expected_version=body.version)
    return jsonify(result_json(result))


@api_bp.get("/results/<int:result_id>")
@api_login_required(Permission.VIEW)
@documented("One result with its inputs, verdict and signatures",
            responses={200: ResultOut, 404: ErrorModel}, tags=("results",))
def get_result(result_id: int):
    result = _get(TestResult, result_id)
    if result is None or not services.can_view(current_user, result):
        raise ApiError(f"未找到结果 {result_id}", 404)
    return jsonify(result_json(result))


@api_bp.post("/results/<int:result_id>/sign")
@api_login_required()
@documented("E-sign a result as submitted, reviewed or approved (password required)",
            request=SignIn, responses={201: SignOut, 409: StaleOut, **_ERRORS},
            tags=("results",),
            description="Each signature is a different person; the signature is bound to a "
                        "SHA-256 of the result version. A wrong password counts toward the "
                        "account lockout.")
def sign(result_id: int):
    body = _body(SignIn)
    result = _own_result(result_id)
    with _applied():
        signature = services.sign(result, current_user, body.meaning, body.password,
                                  expected_version=body.version,
                                  confirm_limit=body.confirm_limit)
    return jsonify({"signature": signature_json(signature, True),
                    "result": result_json(result),
                    "sample_status": result.sample_test.sample.status.value}), 201


@api_bp.post("/results/samples/<number>/sign")
@api_login_required()
@documented("Sign several results of a sample with one password entry",
            request=SignManyIn, responses={201: SignManyOut, 409: StaleOut, **_ERRORS},
            tags=("results",),
            description="Each result gets its own signature bound to its own record hash "
                        "(21 CFR 11.200(a)(1)(i)); all or nothing: one result that may not "
                        "be signed, or a wrong password, signs none.")
def sign_sample(number: str):
    from lims.samples.models import Sample
    from lims.samples.services import can_view

    body = _body(SignManyIn)
    sample = db.session.scalar(sa.select(Sample).where(Sample.number == number[:60]))
    if sample is None or not can_view(current_user, sample):
        raise ApiError(f"未找到样品 {number}", 404)
    by_id = {r.id: r for r in services.sample_results_for_signing(sample, current_user)}
    missing = [i for i in body.results if i not in by_id]
    if missing:
        raise ApiError(f"样品 {number} 没有本实验室的结果 {missing[0]}", 404)
    versions = {int(k): v for k, v in body.versions.items() if k.isdigit()}
    with _applied():
        signatures = services.sign_many([by_id[i] for i in body.results], current_user,
                                        body.meaning, body.password, versions=versions,
                                        confirmed_limits=body.confirm_limits)
    return jsonify({"signatures": [signature_json(s, True) for s in signatures],
                    "results": [result_json(by_id[i]) for i in dict.fromkeys(body.results)],
                    "sample_status": sample.status.value}), 201


@api_bp.post("/results/<int:result_id>/send-back")
@api_login_required()
@documented("Send a submitted or reviewed result back to draft, with a reason",
            request=SendBackIn, responses={200: ResultOut, 409: StaleOut, **_ERRORS},
            tags=("results",))
def send_back(result_id: int):
    body = _body(SendBackIn)
    result = _own_result(result_id)
    with _applied():
        services.send_back(result, current_user, body.reason, expected_version=body.version)
    return jsonify(result_json(result))
