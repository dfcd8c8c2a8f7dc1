"""The OpenAPI 3.1 document of ``/api/v1``, generated from the code.

A view states what it takes and answers with :func:`documented` (pydantic models); the
generator walks ``app.url_map`` so that every ``/api/v1`` route appears, documented or not
(an undocumented one is listed with a generic description, and tests flag it).  Served at
``GET /api/v1/openapi.json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from lims.core.api import api_bp

API_PREFIX = "/api/v1"
_ATTR = "__openapi__"


class ErrorModel(BaseModel):
    """Every error of the API: ``{"error": message, "details": …}``."""

    error: str
    details: Any = None


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Operation:
    summary: str
    request: type[BaseModel] | None = None
    request_content: dict[str, dict] | None = None  # raw media types (e.g. text/csv)
    responses: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    query: type[BaseModel] | None = None
    params: tuple[Param, ...] = ()
    public: bool = False
    tags: tuple[str, ...] = ()
    description: str = ""


def documented(summary: str, *, request: type[BaseModel] | None = None,
               request_content: dict[str, dict] | None = None,
               responses: dict[int, type[BaseModel] | None] | None = None,
               query: type[BaseModel] | None = None, params: tuple[Param, ...] = (),
               public: bool = False, tags: tuple[str, ...] = (),
               description: str = "") -> Callable:
    """Attach the OpenAPI description to a view (the view itself is unchanged)."""
    operation = Operation(summary, request, request_content, dict(responses or {}), query,
                          tuple(params), public, tuple(tags), description)

    def decorator(view: Callable) -> Callable:
        setattr(view, _ATTR, operation)
        return view

    return decorator


def operation_of(view: Callable) -> Operation | None:
    while view is not None:
        found = getattr(view, _ATTR, None)
        if found is not None:
            return found
        view = getattr(view, "__wrapped__", None)
    return None


_CONVERTERS = {"int": {"type": "integer", "minimum": 0}, "float": {"type": "number"},
               "path": {"type": "string"}, "string": {"type": "string"},
               "default": {"type": "string"}, "uuid": {"type": "string", "format": "uuid"}}
_RULE_ARG = re.compile(r"<(?:(?P<conv>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []
    for match in _RULE_ARG.finditer(rule):
        schema = dict(_CONVERTERS.get(match.group("conv") or "default", {"type": "string"}))
        if schema.get("type") == "string":
            # Werkzeug's default converter matches one non-empty segment without "/"
            schema.update(minLength=1, pattern="^[^/]+$")
        params.append({"name": match.group("name"), "in": "path", "required": True,
                       "schema": schema})
    return _RULE_ARG.sub(lambda m: "{" + m.group("name") + "}", rule), params


class _Schemas:
    """Collects pydantic models into ``components/schemas`` and returns ``$ref``s."""

    def __init__(self) -> None:
        self.models: dict[str, type[BaseModel]] = {}

    def ref(self, model: type[BaseModel]) -> dict:
        self.models[model.__name__] = model
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def components(self) -> dict:
        if not self.models:
            return {}
        _, top = models_json_schema(
            [(m, "validation") for m in self.models.values()],
            ref_template="#/components/schemas/{model}")
        return top.get("$defs", {})


def _query_params(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", "")
        prop.pop("title", None)
        prop.pop("default", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        out.append(param)
    return out


def build_document(app: Flask) -> dict:
    schemas = _Schemas()
    error_ref = schemas.ref(ErrorModel)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        op = operation_of(view)
        path, path_params = _openapi_path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            entry: dict[str, Any] = {"operationId": f"{rule.endpoint}.{method.lower()}",
                                     "tags": list(op.tags) if op and op.tags
                                     else [rule.rule.split("/")[3]]}
            entry["summary"] = op.summary if op else f"{method} {rule.rule} (undocumented)"
            if op and op.description:
                entry["description"] = op.description
            parameters = list(path_params)
            if op and op.query:
                parameters += _query_params(op.query)
            if op:
                for p in op.params:
                    parameters.append({"name": p.name, "in": "query", "required": p.required,
                                       "schema": p.schema, "description": p.description})
            if parameters:
                entry["parameters"] = parameters
            if op and op.request is not None:
                entry["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": schemas.ref(op.request)}}}
            elif op and op.request_content:
                entry["requestBody"] = {"required": True, "content": op.request_content}
            responses: dict[str, Any] = {}
            for status, model in sorted((op.responses if op else {}).items()):
                body = schemas.ref(model) if model is not None else error_ref
                responses[str(status)] = {
                    "description": _REASONS.get(status, "response"),
                    "content": {"application/json": {"schema": body}}}
            if not responses:
                responses["200"] = {"description": "OK"}
            # every refusal answers {"error": …} (lims.core.api)
            responses["default"] = {"description": "error",
                                    "content": {"application/json": {"schema": error_ref}}}
            entry["responses"] = responses
            if op and op.public:
                entry["security"] = []
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "lims API", "version": "1",
                 "description": "The LIMS API of the Bortala food testing network. "
                                "Authenticate with `Authorization: Bearer <token>` "
                                "(`lims users token USERNAME`)."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas.components(),
                       "securitySchemes": {"bearerAuth": {"type": "http",
                                                          "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
    }


def undocumented_routes(app: Flask) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if rule.rule.startswith(API_PREFIX)
                  and operation_of(app.view_functions[rule.endpoint]) is None)


_REASONS = {200: "OK", 201: "created", 400: "bad request", 401: "no valid token",
            403: "forbidden", 404: "not found", 409: "conflict", 413: "too large",
            422: "refused: invalid input"}


class OpenApiDocument(BaseModel):
    """The OpenAPI document itself (free-form)."""

    openapi: str
    info: dict
    paths: dict
    components: dict


@api_bp.get("/openapi.json")
@documented("This OpenAPI 3.1 document", responses={200: OpenApiDocument}, public=True,
            tags=("meta",))
def openapi_json():
    # the document only changes with the code: build it once per process
    cache = current_app.extensions.setdefault("lims_openapi", {})
    if "doc" not in cache:
        cache["doc"] = build_document(current_app)
    return jsonify(cache["doc"])


def _document_core_routes() -> None:
    # lims.core.api cannot import this module (it is imported by it), so its routes are
    # described here; documented() only sets an attribute on the registered view
    from lims.core import api as core_api
    from lims.core.api_schemas import MeOut

    documented("The token's user, organisation and roles", responses={200: MeOut},
               tags=("meta",))(core_api.me)


_document_core_routes()
