"""``/api/v1/samples``: receipt and custody for instruments of other systems and scripts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from flask import jsonify, request, url_for
from flask_login import current_user

from lims.core.api import ApiError, api_bp, api_login_required
from lims.core.openapi import ErrorModel, documented
from lims.core.validation import page_limit
from lims.extensions import db
from lims.samples import services
from lims.samples.api_schemas import (
    HandOverIn,
    ReceiptIn,
    RoutedOut,
    RouteIn,
    SampleList,
    SampleListQuery,
    SampleOut,
    SampleSummary,
    TransitionIn,
)
from lims.samples.lifecycle import SampleStatus, TransitionError
from lims.samples.listing import SampleFilters, list_samples
from lims.samples.models import Sample
from lims.samples.receipt import ReceiptError, receipt_input
from lims.users.roles import Permission

# The sampling form's text fields, as recorded at receipt (output of the full sample).
SAMPLING_FORM_FIELDS = ("task_source", "sampling_form_no", "customer_name", "customer_address",
                        "business_licence", "business_address", "sampling_place", "sampler",
                        "sampling_base", "producer", "producer_address", "specification",
                        "batch_number")


def sample_json(sample: Sample, *, full: bool = True) -> dict:
    data = {
        "number": sample.number, "status": sample.status.value,
        "task_type": sample.task_type.value, "food_name": sample.food_name,
        "subcategory": {"code": sample.subcategory.code, "name": sample.subcategory.name_zh},
        "business_name": sample.business_name, "county": sample.business_region.name,
        "sampled_on": sample.sampled_on.isoformat(),
        "received_at": sample.received_at.isoformat(),
        "registered_by_lab": sample.registered_org.code,
        "assigned_lab": sample.assigned_org.code if sample.assigned_org else None,
        "holder": sample.holder_org.code if sample.holder_org else None,
        "parent": sample.parent.number if sample.parent else None,
    }
    if full:
        data.update(
            quantity=f"{sample.quantity} {sample.quantity_unit}",
            condition_ok=sample.condition_ok, condition_notes=sample.condition_notes,
            condition_description=sample.condition_description,
            **{name: getattr(sample, name) for name in SAMPLING_FORM_FIELDS},
            sub_samples=[c.number for c in sample.children],
            tests=[{"id": t.id, "item_code": t.test_item.code, "item": t.test_item.name_zh,
                    "basis_standard": t.basis_standard, "method_standard": t.method_standard,
                    "lab": t.lab.code if t.lab else None, "removed": t.removed,
                    "removed_reason": t.removed_reason} for t in sample.tests],
            timeline=[{"at": e.at.isoformat(), "kind": e.kind.value, "summary": e.summary,
                       "by": e.by_user.display_name if e.by_user else None,
                       "condition": e.condition,
                       "temperature_c": str(e.temperature_c) if e.temperature_c is not None
                       else None} for e in services.timeline(sample)],
        )
    return data


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("请求体必须是 JSON 对象", 400)
    return body


def _visible(number: str, *, options: tuple = ()) -> Sample:
    sample = services.find_visible(current_user, number, options=options)
    if sample is None:
        raise ApiError(f"未找到样品 {number}", 404)
    return sample


@api_bp.post("/samples")
@api_login_required(Permission.REGISTER_SAMPLE)
@documented("Register a received sample with its test plan", request=ReceiptIn,
           responses={201: SampleOut, 403: ErrorModel, 422: ErrorModel}, tags=("samples",))
def create_sample():
    body = _json_body()
    try:
        sample = services.register_sample(receipt_input(body), current_user)
        db.session.commit()
    except ReceiptError as exc:
        db.session.rollback()
        raise ApiError("样品登记信息有误", 422, exc.errors) from exc
    except services.SampleError as exc:
        db.session.rollback()
        raise ApiError(str(exc), 403) from exc
    response = jsonify(sample_json(sample))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_sample", number=sample.number)
    return response


@api_bp.get("/samples/<number>")
@api_login_required(Permission.VIEW)
@documented("A sample with its tests and timeline", responses={200: SampleOut, 404: ErrorModel},
           tags=("samples",))
def get_sample(number: str):
    return jsonify(sample_json(_visible(number, options=services.detail_options())))


@api_bp.get("/samples")
@api_login_required(Permission.VIEW)
@documented("The samples the token's organisation may see (keyset pages)", query=SampleListQuery,
           responses={200: SampleList, 422: ErrorModel}, tags=("samples",))
def list_samples_api():
    filters = SampleFilters.from_args(request.args)
    if filters.errors:
        raise ApiError("筛选条件有误", 422, filters.errors)
    try:
        page = list_samples(services.visibility_clause(current_user), filters,
                            after=request.args.get("after"),
                            page_size=page_limit(request.args.get("limit"), default=50,
                                                 maximum=200))
    except ValueError as exc:
        raise ApiError(str(exc), 422) from exc
    return jsonify({"samples": [sample_json(s, full=False) for s in page.samples],
                    "next": page.next_cursor})


@api_bp.post("/samples/<number>/route")
@api_login_required(Permission.REGISTER_SAMPLE)
@documented("Route the sample's tests to labs (splits into sub-samples)", request=RouteIn,
           responses={200: RoutedOut, 404: ErrorModel, 409: ErrorModel, 422: ErrorModel},
           tags=("samples",))
def route_sample(number: str):
    sample = _visible(number)
    body = _json_body()
    from lims.orgs.services import org_by_code

    assignments = {}
    for test_id, lab_code in (body.get("assignments") or {}).items():
        org = org_by_code(str(lab_code))
        if org is None or not str(test_id).isdigit():
            raise ApiError("分配信息有误", 422, {str(test_id): f"未知机构 {lab_code}"})
        assignments[int(test_id)] = org.id
    with _committed():
        parts = services.route_sample(sample, assignments, current_user)
    return jsonify({"samples": [p.number for p in parts]})


@contextmanager
def _committed() -> Iterator[None]:
    """Commit what the block did, or roll it back and answer 409 with the lab's reason."""
    try:
        yield
        db.session.commit()
    except (services.SampleError, TransitionError) as exc:
        db.session.rollback()
        raise ApiError(str(exc), 409) from exc


def _temperature(body: dict) -> Decimal | None:
    value = body.get("temperature_c")
    if value in (None, ""):
        return None
    if isinstance(value, float):
        raise ApiError("温度须以字符串或整数给出", 422, {"temperature_c": "不接受浮点数"})
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ApiError("温度格式错误", 422, {"temperature_c": f"不是数值：{value}"}) from exc


@api_bp.post("/samples/<number>/dispatch")
@api_login_required(Permission.DISPATCH_SAMPLE)
@documented("Hand the sample over for transport", request=HandOverIn,
           responses={200: SampleSummary, 404: ErrorModel, 409: ErrorModel}, tags=("samples",))
def dispatch_sample(number: str):
    sample, body = _visible(number), _json_body()
    with _committed():
        services.dispatch(sample, current_user, condition=body.get("condition", ""),
                          temperature_c=_temperature(body), notes=body.get("notes"))
    return jsonify(sample_json(sample, full=False))


@api_bp.post("/samples/<number>/receive")
@api_login_required(Permission.RECEIVE_SAMPLE)
@documented("Receive the sample at the assigned lab", request=HandOverIn,
           responses={200: SampleSummary, 404: ErrorModel, 409: ErrorModel}, tags=("samples",))
def receive_sample(number: str):
    sample, body = _visible(number), _json_body()
    with _committed():
        services.receive_at_lab(sample, current_user, condition=body.get("condition", ""),
                                temperature_c=_temperature(body))
    return jsonify(sample_json(sample, full=False))


@api_bp.post("/samples/<number>/transitions")
@api_login_required(Permission.CHANGE_STATUS)
@documented("Change the sample's status", request=TransitionIn,
           responses={200: SampleSummary, 404: ErrorModel, 409: ErrorModel, 422: ErrorModel},
           tags=("samples",))
def transition_sample(number: str):
    sample, body = _visible(number), _json_body()
    try:
        target = SampleStatus(body.get("status", ""))
    except ValueError as exc:
        raise ApiError("未知状态", 422, {"status": f"未知状态：{body.get('status')}"}) from exc
    with _committed():
        services.transition(sample, target, current_user, reason=body.get("reason"),
                            manual=True)
    return jsonify(sample_json(sample, full=False))
