"""``/api/v1/alerts``: the alerts the pages show, for other systems."""

from __future__ import annotations

import datetime as dt

from flask import jsonify, request
from pydantic import BaseModel

from lims.alerts import services
from lims.alerts.models import Alert, AlertState
from lims.core.api import ApiError, api_bp, api_login_required
from lims.core.openapi import ErrorModel, documented
from lims.extensions import db
from lims.users.roles import Permission


class EvidenceOut(BaseModel):
    type: str
    id: int | str
    label: str


class AlertOut(BaseModel):
    id: int
    kind: str
    level: str
    state: str
    title: str
    detail: str
    county: str | None
    variety: str | None
    item: str | None
    business_id: int | None
    owner: str | None
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    closed_at: dt.datetime | None
    close_note: str | None
    evidence: list[EvidenceOut]


class AlertsOut(BaseModel):
    alerts: list[AlertOut]


class AlertsQuery(BaseModel):
    state: AlertState | None = None


def alert_json(a: Alert) -> dict:
    return AlertOut(
        id=a.id, kind=a.kind.value, level=a.level.value, state=a.state.value, title=a.title,
        detail=a.detail, county=a.region.name if a.region else None, variety=a.variety,
        item=a.item, business_id=a.business_id,
        owner=a.owner.username if a.owner else None, raised_at=a.raised_at,
        acknowledged_at=a.acknowledged_at, closed_at=a.closed_at, close_note=a.close_note,
        evidence=[EvidenceOut(**e) for e in a.evidence]).model_dump(mode="json")


@api_bp.get("/alerts")
@api_login_required(Permission.VIEW_STATS)
@documented("Risk alerts, newest first", query=AlertsQuery,
            responses={200: AlertsOut, 401: ErrorModel, 403: ErrorModel, 422: ErrorModel},
            tags=("alerts",))
def alerts_list():
    state = request.args.get("state") or None
    if state and state not in {s.value for s in AlertState}:
        raise ApiError(f"未知的状态：{state}", 422, {"state": "open | acknowledged | closed"})
    return jsonify({"alerts": [alert_json(a) for a in services.list_alerts(state)]})


@api_bp.get("/alerts/<int:alert_id>")
@api_login_required(Permission.VIEW_STATS)
@documented("One risk alert with its evidence",
            responses={200: AlertOut, 401: ErrorModel, 403: ErrorModel, 404: ErrorModel},
            tags=("alerts",))
def alert_one(alert_id: int):
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise ApiError("没有该预警", 404)
    return jsonify(alert_json(alert))
