"""The ``/api/v1`` blueprint: bearer-token auth and JSON errors shared by every package."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, jsonify
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from lims.users.roles import Permission

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    """An error answered as ``{"error": message, "details": …}`` with an HTTP status."""

    def __init__(self, message: str, status: int = 400, details: object = None) -> None:
        super().__init__(message)
        self.message, self.status, self.details = message, status, details


@api_bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    body: dict = {"error": exc.message}
    if exc.details is not None:
        body["details"] = exc.details
    return jsonify(body), exc.status


@api_bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return jsonify({"error": exc.description or exc.name}), exc.code


def api_login_required(permission: Permission | None = None) -> Callable:
    """Require a bearer token (or a session) and, optionally, a permission."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                raise ApiError("需要有效的 API 令牌（Authorization: Bearer …）", 401)
            if permission is not None and not current_user.can(permission):
                raise ApiError("无此操作权限", 403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


@api_bp.get("/me")
@api_login_required()
def me():
    user = current_user
    return jsonify({"username": user.username, "display_name": user.display_name,
                    "org": user.org.code, "roles": sorted(r.value for r in user.roles)})
