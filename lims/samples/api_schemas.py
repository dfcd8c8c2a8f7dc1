"""OpenAPI bodies of ``/api/v1/samples``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lims.samples.receipt import ReceiptInput

# The receipt's one definition (also the form's input): documented and parsed as is.
ReceiptIn = ReceiptInput


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
    condition_description: str | None
    task_source: str | None
    sampling_form_no: str | None
    customer_name: str | None
    customer_address: str | None
    business_licence: str | None
    business_address: str | None
    sampling_place: str | None
    sampler: str | None
    sampling_base: str | None
    producer: str | None
    producer_address: str | None
    specification: str | None
    batch_number: str | None
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
