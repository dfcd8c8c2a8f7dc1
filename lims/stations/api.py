"""``/api/v1/stations``: a station's batches of rapid results (JSON or a reader's CSV export),
its markets and day view, and publication.  A token acts for its own station only."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import jsonify, request
from flask_login import current_user
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from lims.core.api import ApiError, api_bp, api_login_required
from lims.core.openapi import ErrorModel, documented
from lims.core.security import read_body
from lims.extensions import db
from lims.instruments.services import local_date
from lims.samples.services import find_visible
from lims.stations import confirmation, intake, services
from lims.stations.models import ConfirmationTask, StationResult, TaskStatus
from lims.stations.schemas import (
    BatchErrorOut,
    BatchOut,
    ConfirmationTaskOut,
    ConfirmationTasksOut,
    DayQuery,
    LinkSampleIn,
    MarketsOut,
    PublishIn,
    PublishOut,
    StationBatchIn,
    StationResultsOut,
    TaskQuery,
)
from lims.users.roles import Permission

_ERRORS = {400: ErrorModel, 401: ErrorModel, 403: ErrorModel, 409: BatchErrorOut,
           413: ErrorModel, 422: BatchErrorOut}
_CSV_BODY = {"text/csv": {"schema": {"type": "string"},
                          "example": "uid,market,stall,food_name,food_category,test_item,"
                                     "method,inhibition_pct,station_verdict,tested_at,operator\n"
                                     "BL-20261128-0001,BL-M01,A-12,菠菜,蔬菜,有机磷和氨基甲酸酯类农药,"
                                     "enzyme_inhibition,66.3,positive,2026-11-28T08:10:00+08:00,孙快检\n"}}


def _store(parse) -> tuple:
    with intake.gc_paused():
        return _store_batch(parse)


def _store_batch(parse) -> tuple:
    try:
        intake.check_size(request.content_length)
        # by the bytes read: a chunked upload has no Content-Length to check beforehand
        records = parse(read_body(intake.max_bytes()))
        try:
            answer = intake.submit(current_user, records, source=_source())
            db.session.commit()
        except IntegrityError:
            # the same batch arrived twice at the same moment: the other request stored it
            db.session.rollback()
            answer = intake.submit(current_user, records, source=_source())
            db.session.commit()
    except intake.BatchRefused as exc:
        db.session.rollback()
        details = {"records": exc.records} if exc.status in (409, 422) else None
        raise ApiError(exc.message, exc.status, details) from None
    response = jsonify(answer.body)
    response.headers["Idempotent-Replayed"] = "true" if not answer.created else (
        "partial" if answer.replayed else "false")
    return response, 200


def _source() -> str:
    return request.headers.get("X-Lims-Source", "json" if request.is_json else "csv")[:16]


@api_bp.post("/stations/results")
@api_login_required(Permission.UPLOAD_STATION_RESULT)
@documented("Upload a batch of rapid-test results (exactly once, all or nothing)",
            request=StationBatchIn,
            responses={200: BatchOut, **_ERRORS}, tags=("stations",),
            description="Resending a batch stores nothing new and answers as the first time; "
                        "a uid reused with other content is a conflict (409); any invalid "
                        "record refuses the whole batch (422, per-record errors); more than "
                        "1000 records or 2 MB is refused with 413.")
def post_results():
    return _store(intake.parse_json_batch)


@api_bp.post("/stations/results.csv")
@api_login_required(Permission.UPLOAD_STATION_RESULT)
@documented("Upload a reader's CSV export as one batch", request_content=_CSV_BODY,
            responses={200: BatchOut, **_ERRORS}, tags=("stations",),
            description="Header row of field names (or the Chinese headings of an export); "
                        "UTF-8 or GB18030.  Same rules as the JSON upload.")
def post_results_csv():
    return _store(intake.parse_csv_batch)


@api_bp.get("/stations/markets")
@api_login_required(Permission.UPLOAD_STATION_RESULT)
@documented("The markets of the token's station", responses={200: MarketsOut},
            tags=("stations",))
def station_markets():
    return jsonify({"markets": [
        {"code": m.code, "name": m.name, "kind": m.kind.value, "county": m.region.name,
         "stall_count": m.stall_count} for m in services.markets_of(current_user.org)]})


@api_bp.get("/stations/results")
@api_login_required(Permission.UPLOAD_STATION_RESULT)
@documented("The station's results of one day", query=DayQuery,
            responses={200: StationResultsOut, 404: ErrorModel, 422: ErrorModel},
            tags=("stations",))
def station_results():
    try:
        query = DayQuery.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError("查询参数有误", 422,
                       {".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}) from None
    day = query.date or local_date()
    market = None
    if query.market:
        market = services.find_market(query.market)
        if market is None or market.station_org_id != current_user.org_id:
            raise ApiError(f"市场不存在：{query.market}", 404)
    rows = services.day_results(current_user.org, day, market)
    uids = _corrected_uids([r for r, _ in rows])
    return jsonify({"date": day.isoformat(),
                    "results": [services.result_json(r, t, uids.get(r.corrects_id))
                                for r, t in rows]})


def _corrected_uids(results) -> dict[int, str]:
    ids = {r.corrects_id for r in results if r.corrects_id}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(StationResult.id, StationResult.uid)
                                   .where(StationResult.id.in_(ids))).all())


@api_bp.post("/stations/publish")
@api_login_required(Permission.UPLOAD_STATION_RESULT)
@documented("Publish a market's results of a day (公示); published results never change",
            request=PublishIn, responses={200: PublishOut, 404: ErrorModel, 422: ErrorModel},
            tags=("stations",))
def publish():
    try:
        body = PublishIn.model_validate(request.get_json(silent=True))
    except ValidationError as exc:
        raise ApiError("请求有误", 422,
                       {".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}) from None
    market = services.find_market(body.market)
    if market is None or market.station_org_id != current_user.org_id:
        raise ApiError(f"市场不存在：{body.market}", 404)
    if body.date > local_date() + dt.timedelta(days=1):
        raise ApiError("不能公示未来日期的结果", 422, {"date": body.date.isoformat()})
    count = services.publish_day(current_user, market, body.date)
    db.session.commit()
    return jsonify({"market": market.code, "date": body.date.isoformat(), "published": count})


def _task_json(task) -> dict:
    result = task.station_result
    corrects = result.corrects.uid if result.corrects is not None else None
    return {"id": task.id, "status": task.status.value, "lab": task.lab_org.code,
            "lab_reason": task.lab_reason, "due_on": task.due_on.isoformat(),
            "sample": task.sample.number if task.sample is not None else None,
            "agreement": confirmation.agreement(task).state,
            "result": services.result_json(result, task.id, corrects)}


@api_bp.get("/stations/confirmations")
@api_login_required(Permission.VIEW)
@documented("Confirmation tasks: a lab's own, a station's of its results, all for the prefecture",
            query=TaskQuery, responses={200: ConfirmationTasksOut, 422: ErrorModel},
            tags=("stations",))
def confirmation_tasks():
    try:
        query = TaskQuery.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError("查询参数有误", 422,
                       {".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}) from None
    select = (sa.select(ConfirmationTask)
              .where(confirmation.visible_tasks_clause(current_user))
              .order_by(ConfirmationTask.due_on, ConfirmationTask.id).limit(500))
    if (query.status or "open") == "open":
        select = select.where(ConfirmationTask.status.in_([TaskStatus.OPEN,
                                                           TaskStatus.SAMPLE_REGISTERED]))
    return jsonify({"tasks": [_task_json(t) for t in db.session.scalars(select)]})


@api_bp.post("/stations/confirmations/<int:task_id>/sample")
@api_login_required(Permission.REGISTER_SAMPLE)
@documented("Link the registered confirmation sample (task type rapid_retest) to the task",
            request=LinkSampleIn,
            responses={200: ConfirmationTaskOut, 404: ErrorModel, 409: ErrorModel,
                       422: ErrorModel}, tags=("stations",))
def link_confirmation_sample(task_id: int):
    task = db.session.get(ConfirmationTask, task_id)
    if task is None or task.lab_org_id != current_user.org_id:
        raise ApiError(f"复检任务不存在：{task_id}", 404)
    try:
        body = LinkSampleIn.model_validate(request.get_json(silent=True))
    except ValidationError as exc:
        raise ApiError("请求有误", 422,
                       {".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}) from None
    sample = find_visible(current_user, body.sample_number)
    if sample is None:
        raise ApiError(f"未找到样品 {body.sample_number}", 404)
    try:
        confirmation.link_sample(task, sample, current_user)
        db.session.commit()
    except confirmation.ConfirmationError as exc:
        db.session.rollback()
        raise ApiError(str(exc), 409) from None
    return jsonify(_task_json(task))
