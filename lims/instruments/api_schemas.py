"""OpenAPI bodies of ``/api/v1/instruments`` (the bench agent's contract, lims/instruments/agent.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ReadingIn(BaseModel):
    """One reading as the agent sends it (``Idempotency-Key`` header = ``uid``)."""

    model_config = ConfigDict(extra="allow")

    uid: str = Field(min_length=1, max_length=64)
    value: str = Field(pattern=r"^-?\d+(\.\d+)?$")
    unit: str
    stable: bool
    status: str
    raw_b64: str
    raw_text: str
    read_at: str = Field(description="ISO 8601 UTC")
    driver: str
    serial_number: str | None = None
    request_id: int | None = None
    channel: int | None = None
    sample_id: str | None = None
    item: str | None = None
    inhibition_pct: str | None = None
    tc_ratio: str | None = None
    positive: bool | None = None


class ReadingOut(BaseModel):
    id: int
    uid: str
    instrument: str
    value: str
    unit: str
    stable: bool
    status: str
    raw_text: str
    raw_b64: str
    driver: str
    read_at: str
    received_at: str
    serial_number: str | None
    request_id: int | None
    channel: int | None
    sample_id: str | None
    item: str | None
    positive: bool | None
    inhibition_pct: str | None
    tc_ratio: str | None


class ReadingPosted(BaseModel):
    reading: ReadingOut
    created: bool


class LatestReading(BaseModel):
    reading: ReadingOut | None


class Calibration(BaseModel):
    ok: bool
    code: str
    reason: str
    valid_until: str | None


class InstrumentConfig(BaseModel):
    code: str
    name: str
    kind: str
    driver: str
    port_settings: dict[str, Any]
    port_url: str
    serial_number: str
    org: str
    location: str
    bench: str
    active: bool
    calibration: Calibration


class CaptureRequestOut(BaseModel):
    id: int
    command: str | None


class CaptureRequests(BaseModel):
    requests: list[CaptureRequestOut]


class CaptureFailureIn(BaseModel):
    error: str = ""


class CaptureFailureOut(BaseModel):
    id: int
    state: str
    error: str | None
