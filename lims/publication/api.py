"""``/api/v1/publication/notices``: publish a 抽检信息公告 (or its correction)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request
from flask_login import current_user

from lims.core.api import ApiError, api_bp, api_login_required
from lims.extensions import db
from lims.publication import services
from lims.publication.models import PublicNotice
from lims.users.roles import Permission


def notice_json(notice: PublicNotice) -> dict:
    return {"id": notice.id, "number": notice.number, "title": notice.title,
            "published_at": notice.published_at.isoformat(),
            "replaces": notice.replaces.number if notice.replaces else None,
            "correction_reason": notice.correction_reason,
            "qualified": services.rows(notice, True),
            "failed": services.rows(notice, False)}


@api_bp.post("/publication/notices")
@api_login_required(Permission.APPROVE_REPORT)
def publish_notice():
    body = request.get_json(silent=True) or {}
    samples = body.get("samples")
    if not isinstance(samples, list) or not all(isinstance(s, str) for s in samples):
        raise ApiError("samples 应为样品编号列表", 422, {"samples": "应为样品编号列表"})
    replaces = None
    if body.get("replaces"):
        replaces = db.session.scalar(sa.select(PublicNotice).where(
            PublicNotice.number == str(body["replaces"])))
        if replaces is None:
            raise ApiError(f"公告 {body['replaces']} 不存在", 422, {"replaces": "不存在"})
    try:
        notice = services.publish(current_user, samples, title=body.get("title"),
                                  replaces=replaces, reason=body.get("reason"))
    except services.PublicationError as exc:
        db.session.rollback()
        raise ApiError(str(exc), 422, {"samples": str(exc)}) from None
    db.session.commit()
    return jsonify(notice_json(notice)), 201


@api_bp.get("/publication/notices/<int:notice_id>")
@api_login_required(Permission.VIEW)
def get_notice(notice_id: int):
    notice = db.session.get(PublicNotice, notice_id) if notice_id < 2**31 else None
    if notice is None:
        raise ApiError("公告不存在", 404)
    return jsonify(notice_json(notice))
