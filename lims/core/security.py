"""Request hygiene and response headers, installed once for the whole application.

* Security headers on every response (CSP with ``frame-ancestors 'none'``, X-Frame-Options,
  X-Content-Type-Options, Referrer-Policy).
* ``/api/v1`` accepts only bearer tokens (lims.users.auth ignores the session cookie there) and
  only JSON or CSV bodies (anything else: 415), so that no form on another site can post to it.
* Request bodies are limited by the bytes actually read (chunked uploads too): 413.
* JSON documents deeper than ``JSON_MAX_DEPTH`` or holding NaN/Infinity are refused (400).
* Client errors never surface as 500: a refused permission is 403, two writers of the same
  record are 409, an id the database cannot hold is 400/404, unknown /api/v1 paths answer JSON.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, abort, flash, jsonify, redirect, request
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    Forbidden,
    HTTPException,
    RequestEntityTooLarge,
)
from werkzeug.routing import IntegerConverter

from lims.extensions import db
from lims.users.access import AccessDenied

log = logging.getLogger(__name__)

JSON_MAX_DEPTH = 32
API_CONTENT_TYPES = frozenset({"application/json", "text/csv"})

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

CONFLICT_ZH = "该记录已被他人同时修改，本次操作未保存；请刷新后重试"


def _refuse_constant(name: str) -> Any:
    raise BadRequest(f"JSON 中不允许 {name}：数值必须是有限数")


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in
                         (item.values() if isinstance(item, dict) else item))
    return deepest


def loads_checked(data: str | bytes, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """``json.loads`` that refuses NaN/Infinity and documents nested deeper than
    ``max_depth``, with a Chinese message (``BadRequest``, a 400)."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadRequest(f"JSON 嵌套层数过深（最多 {max_depth} 层）") from None
    if json_depth(value) > max_depth:
        raise BadRequest(f"JSON 嵌套层数过深（最多 {max_depth} 层）")
    return value


class CheckedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_checked(s, self._app.config.get("JSON_MAX_DEPTH", JSON_MAX_DEPTH))


def read_body(limit: int) -> bytes:
    """The request body, read up to ``limit`` bytes whatever Content-Length says (chunked
    uploads have none): more than that is 413, named in Chinese."""
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"请求过大：{request.content_length} 字节，最多 {limit} 字节")
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge(f"请求过大：超过 {limit} 字节")
    return data


def is_api() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _api_content_type() -> None:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    has_body = bool(request.content_length) or \
        request.headers.get("Transfer-Encoding", "").lower() == "chunked"
    if not has_body and not request.mimetype:
        return
    mimetype = request.mimetype
    if mimetype in API_CONTENT_TYPES or mimetype.endswith("+json"):
        return
    abort(415, f"不支持的请求体类型：{mimetype or '未指定'}（仅接受 application/json 或 text/csv）")


def _guard_body() -> None:
    """Reads past MAX_CONTENT_LENGTH fail as 413 even without a Content-Length."""
    limit = request.max_content_length
    if limit is not None and request.content_length is not None \
            and request.content_length > limit:
        raise RequestEntityTooLarge(f"请求过大：{request.content_length} 字节，最多 {limit} 字节")


def _error_json(message: str, status: int):
    response = jsonify({"error": message})
    response.status_code = status
    return response


def install_security(app: Flask) -> None:
    app.json_provider_class = CheckedJSONProvider
    app.json = CheckedJSONProvider(app)

    @app.before_request
    def request_hygiene():
        _guard_body()
        if is_api():
            _api_content_type()

    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if is_api():
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(AccessDenied)
    def access_denied(exc: AccessDenied):
        db.session.rollback()
        if is_api():
            return _error_json(exc.message, 403)
        back = request.referrer
        if request.method == "POST" and back and urlsplit(back).netloc == request.host:
            flash(exc.message, "error")  # back to the page the form was on, saying why
            return redirect(back), 303
        return app.handle_http_exception(Forbidden(exc.message))

    @app.errorhandler(StaleDataError)
    @app.errorhandler(sa.exc.IntegrityError)
    def conflict(exc: Exception):
        log.info("write conflict during %s %s: %s", request.method, request.path, exc)
        db.session.rollback()
        if is_api():
            return _error_json(CONFLICT_ZH, 409)
        return app.handle_http_exception(Conflict(CONFLICT_ZH))

    @app.errorhandler(OverflowError)
    @app.errorhandler(sa.exc.DataError)
    def bad_value(exc: Exception):
        # e.g. an id ≥ 2^63 or a text PostgreSQL cannot hold: the client's input, not a bug
        db.session.rollback()
        message = "请求中的数值或文本超出允许范围"
        if is_api():
            return _error_json(message, 400)
        return app.handle_http_exception(BadRequest(message))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if is_api():
            return _error_json(exc.description or exc.name, exc.code or 500)
        return exc


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` path segments that a database id can hold (1 … 2^63-1); others are 404."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def install_url_converters(app: Flask) -> None:
    """Before any route is registered: ids beyond what the database holds never reach it."""
    app.url_map.converters["int"] = BoundedIntConverter
