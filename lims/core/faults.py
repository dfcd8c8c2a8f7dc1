"""Database faults seen by users: a lost connection or a busy database is a 503, not a 500.

When the connection to PostgreSQL drops in the middle of a request (server restart, failover,
a terminated backend) the transaction is gone: nothing of it was written.  The user gets a
plain message in Chinese saying so and to try again; API clients get the same as JSON with
``Retry-After``.  Other database errors are bugs and stay 500s.

(A connection lost during COMMIT itself cannot tell whether the server committed; PostgreSQL
either applied the whole transaction or none of it, so a retry shows which, e.g. a sample
that exists or not — never half of one.)
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, request
from markupsafe import escape

from lims.extensions import db

bp = Blueprint("faults", __name__)
log = logging.getLogger(__name__)

UNAVAILABLE_ZH = "数据库连接中断或数据库繁忙，本次操作未保存任何内容，请稍后重试。"
UNAVAILABLE_EN = "The database connection was lost or the database is busy; nothing of this " \
    "request was saved. Please try again."


def is_unavailable(exc: BaseException) -> bool:
    """A lost connection (SQLAlchemy marks it invalidated) or an operational failure such
    as SQLite's "database is locked": transient, and the transaction was rolled back."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa.exc.OperationalError | sa.exc.DisconnectionError)


def _wants_json() -> bool:
    if request.blueprint == "api" or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


@bp.app_errorhandler(sa.exc.DBAPIError)
@bp.app_errorhandler(sa.exc.DisconnectionError)
def database_unavailable(exc: Exception):
    if not is_unavailable(exc):
        raise exc
    log.warning("database unavailable during %s %s: %s", request.method, request.path, exc)
    try:
        db.session.rollback()
    except Exception:  # the connection is already gone; discarding the session is enough
        log.debug("rollback after a lost connection failed", exc_info=True)
    db.session.remove()
    if _wants_json():
        response = jsonify({"error": UNAVAILABLE_ZH, "error_en": UNAVAILABLE_EN})
    else:
        # No base template: rendering it would query the database that just failed.
        title = "服务暂时不可用"
        response = Response(
            f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{title}</title>'
            f'<body style="font-family:sans-serif;margin:3em"><h1>{title}</h1>'
            f'<p role="alert">{escape(UNAVAILABLE_ZH)}</p><p lang="en">{escape(UNAVAILABLE_EN)}'
            f'</p><p><a href="javascript:history.back()">返回上一页</a></p></body></html>',
            mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config.get("RETRY_AFTER_SECONDS", 5))
    return response
