"""OpenAPI bodies of ``/api/v1/orgs``."""

from __future__ import annotations

from pydantic import BaseModel


class OrgOut(BaseModel):
    code: str
    name: str
    tier: str
    county: str
    address: str
    population_served: int
