"""The bench agent's API (contract in lims/instruments/agent.py) under ``/api/v1/instruments``.

A token user works only with the instruments of their own organisation; any other code
answers 404, so the API does not reveal which instruments other labs have.
"""

from __future__ import annotations

import base64
import json

from flask import jsonify, request
from flask_login import current_user

from lims.core.api import ApiError, api_bp, api_login_required
from lims.core.openapi import ErrorModel, Param, documented
from lims.extensions import db
from lims.instruments import services
from lims.instruments.api_schemas import (
    CaptureFailureIn,
    CaptureFailureOut,
    CaptureRequests,
    InstrumentConfig,
    LatestReading,
    ReadingIn,
    ReadingPosted,
)
from lims.instruments.models import Instrument, InstrumentReading
from lims.users.roles import Permission

# who may deliver readings and answer capture requests: technicians, and station operators
# (their station's instruments, by the organisation check)
_BENCH = (Permission.ENTER_RESULT, Permission.UPLOAD_STATION_RESULT)


def own_instrument_or_404(code: str, *permissions: Permission) -> Instrument:
    instrument = services.find_instrument(code)
    if instrument is None or instrument.org_id != current_user.org_id:
        raise ApiError(f"仪器不存在：{code}", 404)
    if permissions and not any(current_user.can(p) for p in permissions):
        raise ApiError("无此操作权限（需要检验员或快检室操作员角色）", 403)
    return instrument


def reading_json(reading: InstrumentReading) -> dict:
    out = {
        "id": reading.id, "uid": reading.uid, "instrument": reading.instrument.code,
        "value": format(reading.value, "f"), "unit": reading.unit, "stable": reading.stable,
        "status": reading.status, "raw_text": reading.raw_text,
        "raw_b64": base64.b64encode(reading.raw).decode("ascii"), "driver": reading.driver,
        "read_at": _iso(reading.read_at), "received_at": _iso(reading.received_at),
        "serial_number": reading.serial_number, "request_id": reading.request_id,
    }
    for key in ("channel", "sample_id", "item", "positive"):
        out[key] = getattr(reading, key)
    for key in ("inhibition_pct", "tc_ratio"):
        value = getattr(reading, key)
        out[key] = None if value is None else format(value, "f")
    return out


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@api_bp.get("/instruments/<code>")
@api_login_required()
@documented("An instrument's configuration and calibration status (bench agent)",
           responses={200: InstrumentConfig, 404: ErrorModel}, tags=("instruments",))
def instrument_config(code: str):
    instrument = own_instrument_or_404(code, *_BENCH, Permission.MANAGE_INSTRUMENTS)
    status = services.calibration_status(instrument)
    return jsonify({
        "code": instrument.code, "name": instrument.name, "kind": instrument.kind.value,
        "driver": instrument.driver, "port_settings": json.loads(instrument.port_settings or "{}"),
        "port_url": instrument.port_url, "serial_number": instrument.serial_number,
        "org": instrument.org.code, "location": instrument.location, "bench": instrument.bench,
        "active": instrument.active,
        "calibration": {"ok": status.ok, "code": status.code, "reason": status.reason_zh,
                        "valid_until": status.valid_until.isoformat() if status.valid_until
                        else None},
    })


@api_bp.post("/instruments/<code>/readings")
@api_login_required()
@documented("Deliver a reading (exactly once by uid / Idempotency-Key)", request=ReadingIn,
           responses={200: ReadingPosted, 201: ReadingPosted, 404: ErrorModel,
                      409: ErrorModel, 422: ErrorModel}, tags=("instruments",))
def post_reading(code: str):
    instrument = own_instrument_or_404(code, *_BENCH)
    payload = request.get_json(silent=True)
    if payload is None:
        raise ApiError("请求体必须是 JSON（Content-Type: application/json）", 422)
    try:
        reading, created = services.record_reading(
            instrument, payload, current_user, request.headers.get("Idempotency-Key"))
    except services.ReadingError as exc:
        db.session.rollback()
        raise ApiError(exc.message_zh, exc.status,
                       {"field": exc.field} if exc.field else None) from None
    db.session.commit()
    return jsonify({"reading": reading_json(reading), "created": created}), (201 if created
                                                                             else 200)


@api_bp.get("/instruments/<code>/capture-requests")
@api_login_required()
@documented("Pending capture requests of an instrument",
           responses={200: CaptureRequests, 404: ErrorModel}, tags=("instruments",))
def capture_requests(code: str):
    instrument = own_instrument_or_404(code, *_BENCH)
    return jsonify({"requests": [{"id": c.id, "command": c.command}
                                 for c in services.pending_captures(instrument)]})


@api_bp.post("/instruments/<code>/capture-requests/<int:request_id>/failure")
@api_login_required()
@documented("Report that a capture request could not be read", request=CaptureFailureIn,
           responses={200: CaptureFailureOut, 404: ErrorModel}, tags=("instruments",))
def capture_failure(code: str, request_id: int):
    instrument = own_instrument_or_404(code, *_BENCH)
    body = request.get_json(silent=True) or {}
    try:
        capture = services.fail_capture(instrument, request_id, str(body.get("error") or ""))
    except services.ReadingError as exc:
        db.session.rollback()
        raise ApiError(exc.message_zh, exc.status) from None
    db.session.commit()
    return jsonify({"id": capture.id, "state": capture.state.value, "error": capture.error})


@api_bp.get("/instruments/<code>/readings/latest")
@api_login_required()
@documented("The latest reading of an instrument", responses={200: LatestReading, 404: ErrorModel},
           params=(Param("after", {"type": "integer"}, "only a reading with a greater id"),),
           tags=("instruments",))
def latest(code: str):
    instrument = own_instrument_or_404(code, *_BENCH, Permission.MANAGE_INSTRUMENTS)
    after = request.args.get("after", type=int)
    reading = services.latest_reading(instrument, after=after)
    return jsonify({"reading": reading_json(reading) if reading else None})
