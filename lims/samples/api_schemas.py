"""OpenAPI bodies of ``/api/v1/samples``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReceiptIn(BaseModel):
    """A receipt (lims.samples.receipt.ReceiptInput); the server names every bad field."""

    model_config = ConfigDict(extra="forbid")

    # required here as lims.samples.receipt.validate requires them (issue 15: the document
    # must not call a body valid that the server refuses)
    task_type: str = Field(min_length=1, description="supervision | risk_monitoring | "
                                                     "rapid_retest | commissioned")
    food_name: str = Field(min_length=1)
    subcategory: str = Field(min_length=1, description="细类 code or name")
    business_name: str = Field(min_length=1)
    business_licence: str = ""
    business_address: str = ""
    business_county: str = Field(min_length=1, description="region code or name")
    sampled_on: str = Field(min_length=1, description="YYYY-MM-DD")
    sampling_place: str = ""
    sampler: str = ""
    producer: str = ""
    batch_number: str = ""
    production_date: str = ""
    quantity: str = Field(min_length=1)
    quantity_unit: str = Field(min_length=1)
    retained_quantity: str = ""
    retained_unit: str = ""
    retained_location: str = ""
    condition_ok: str | bool
    condition_notes: str = ""
    removed_items: dict[str, str] = Field(default_factory=dict)
    added_items: dict[str, str] = Field(default_factory=dict)


class Subcategory(BaseModel):
    code: str
    name: str


class SampleTestOut(BaseModel):
    id: int
    item_code: str
    item: str
    basis_standard: str
    method_standard: str | None
    lab: str | None
    removed: bool
    removed_reason: str | None


class TimelineEvent(BaseModel):
    at: str
    kind: str
    summary: str
    by: str | None
    condition: str | None
    temperature_c: str | None


class SampleSummary(BaseModel):
    number: str
    status: str
    task_type: str
    food_name: str
    subcategory: Subcategory
    business_name: str
    county: str
    sampled_on: str
    received_at: str
    registered_by_lab: str
    assigned_lab: str | None
    holder: str | None
    parent: str | None


class SampleOut(SampleSummary):
    quantity: str
    condition_ok: bool
    condition_notes: str | None
    sub_samples: list[str]
    tests: list[SampleTestOut]
    timeline: list[TimelineEvent]


class SampleList(BaseModel):
    samples: list[SampleSummary]
    next: str | None


class SampleListQuery(BaseModel):
    status: str | None = None
    task_type: str | None = None
    lab_id: int | None = None
    region_id: int | None = None
    category: str | None = None
    date_from: str | None = Field(None, description="YYYY-MM-DD")
    date_to: str | None = Field(None, description="YYYY-MM-DD")
    q: str | None = Field(None, description="sample number (prefix)")
    sort: str | None = None
    after: str | None = Field(None, description="cursor from the previous page")
    limit: int | None = Field(None, ge=1, le=200)


class RouteIn(BaseModel):
    assignments: dict[str, str] = Field(description="sample test id → lab code")


class RoutedOut(BaseModel):
    samples: list[str]


class HandOverIn(BaseModel):
    condition: str = Field(min_length=1)
    temperature_c: str | int | None = None
    notes: str | None = None


class TransitionIn(BaseModel):
    status: str
    reason: str | None = None
