"""Input hygiene shared by every ``/api/v1`` route.

PostgreSQL text cannot hold a NUL character: a path segment or query value carrying one
(``/api/v1/samples/%00``) would reach a query and fail there as a server error.  It is refused
here, before any view runs, as the client's error.
"""

from __future__ import annotations

from flask import request

from lims.core.api import ApiError, api_bp


@api_bp.before_request
def _refuse_nul_characters() -> None:
    if "\x00" in request.path or any("\x00" in key or "\x00" in value
                                     for key, value in request.args.items(multi=True)):
        raise ApiError("请求地址或查询参数中含有空字符（NUL）", 400)
