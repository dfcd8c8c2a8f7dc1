"""OpenAPI bodies of the core API routes (``/api/v1/me``)."""

from __future__ import annotations

from pydantic import BaseModel


class MeOut(BaseModel):
    username: str
    display_name: str
    org: str
    roles: list[str]
