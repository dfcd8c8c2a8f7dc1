"""``/api/v1/samples/<number>/declared``: the product's executive standard and declared values."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from lims.core.api import ApiError, api_bp, api_login_required
from lims.core.openapi import ErrorModel, documented
from lims.extensions import db
from lims.samples import services
from lims.samples.declared import (
    DeclaredError,
    DeclaredValue,
    declaration_of,
    set_declaration,
)
from lims.users.roles import Permission


class DeclaredValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(..., description="检验项目，如 蛋白质、酒精度")
    value: str = Field(..., description="明示值或明示的限量，如 52%vol、≥3.0g/100g")
    source: str = Field("standard", description="standard（执行标准）| label（标签）")


class DeclaredIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    executive_standard: str = Field("", description="产品执行标准，如 GB/T 21732-2008")
    values: list[DeclaredValueIn] = Field(default_factory=list)


class DeclaredOut(BaseModel):
    sample: str
    executive_standard: str
    values: list[DeclaredValueIn]


def _json(number: str) -> dict:
    sample = _visible(number)
    declaration = declaration_of(sample)
    return {
        "sample": sample.number,
        "executive_standard": declaration.executive_standard if declaration else "",
        "values": [{"item": v.item, "value": v.value, "source": v.source}
                   for v in (declaration.values if declaration else [])],
    }


def _visible(number: str):
    sample = services.find_visible(current_user, number)
    if sample is None:
        raise ApiError(f"未找到样品 {number}", 404)
    return sample


@api_bp.get("/samples/<number>/declared")
@api_login_required(Permission.VIEW)
@documented("The product's executive standard and declared values", tags=("samples",),
           responses={200: DeclaredOut, 404: ErrorModel})
def get_declared(number: str):
    return jsonify(_json(number))


@api_bp.put("/samples/<number>/declared")
@api_login_required(Permission.REGISTER_SAMPLE)
@documented("Record the product's executive standard and declared values (replaces them)",
           request=DeclaredIn, tags=("samples",),
           responses={200: DeclaredOut, 404: ErrorModel, 422: ErrorModel})
def put_declared(number: str):
    sample = _visible(number)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("请求体必须是 JSON 对象", 400)
    unknown = sorted(set(body) - {"executive_standard", "values"})
    if unknown:
        raise ApiError("未知字段", 422, {name: "未知字段" for name in unknown})
    values = body.get("values") or []
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise ApiError("字段格式错误", 422, {"values": "应为 [{item, value, source}] 列表"})
    try:
        entries = [DeclaredValue(str(v.get("item", "")).strip(), str(v.get("value", "")).strip(),
                                 str(v.get("source") or "standard")) for v in values]
        empty = [str(i + 1) for i, e in enumerate(entries) if not e.item or not e.value]
        if empty:
            raise DeclaredError({f"values[{n}]": "项目或明示值为空" for n in empty})
        set_declaration(sample, str(body.get("executive_standard") or ""), entries)
        db.session.commit()
    except DeclaredError as exc:
        db.session.rollback()
        raise ApiError("明示值有误", 422, exc.errors) from exc
    return jsonify(_json(number))
