"""Request and response bodies of the station API (pydantic 2): they validate the records and
generate the OpenAPI document (lims.core.openapi)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from lims.core.validation import (
    datetime_in_range,
    finite_decimal,
    iso_date_text,
    visible_text,
)


def _number_as_text(value: Any) -> Any:
    # JSON clients may send 66.3 as a number; the value is kept as the decimal text it showed
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL, no reader prints control characters, zero-width
    # characters and direction overrides hide what is stored (lims.core.validation)
    if value is not None and _CONTROL.search(value):
        raise ValueError("含有不可见的控制字符")
    return visible_text(value)


def _visible_required(value: str) -> str:
    return visible_text(_no_control_characters(value), required=True)


def _blank_as_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


DecimalText = Annotated[
    str,
    BeforeValidator(_number_as_text),
    Field(pattern=r"^\s*[+-]?\d{1,6}(\.\d{1,6})?\s*$", max_length=20,
          description="exact decimal as text, e.g. \"66.3\""),
]
Code = Annotated[str, Field(min_length=1, max_length=64,
                            pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]
MarketCode = Annotated[str, Field(min_length=1, max_length=20,
                                  pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$",
                                  description="market code, e.g. BL-M01")]


def _text(max_length: int, *, required: bool = True):
    if required:
        return Annotated[str, Field(min_length=1, max_length=max_length, pattern=r"\S"),
                         AfterValidator(_visible_required)]
    return Annotated[Annotated[str, Field(max_length=max_length)] | None,
                     BeforeValidator(_blank_as_none), AfterValidator(_no_control_characters)]


class StationRecordIn(BaseModel):
    """One rapid test as the station recorded it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    uid: Code = Field(description="client-generated id, the same on every resend")
    market: MarketCode
    stall: _text(40) = Field(description="stall number")
    vendor: _text(80, required=False) = None
    food_name: _text(60)
    food_category: _text(20) = Field(description="蔬菜/水果/畜禽肉/水产品/…")
    test_item: _text(60) = Field(description="e.g. 有机磷和氨基甲酸酯类农药, 克伦特罗")
    analyte_key: _text(120, required=False) = None
    method: Literal["enzyme_inhibition", "colloidal_gold", "other_kit"]
    inhibition_pct: Annotated[DecimalText | None, BeforeValidator(_blank_as_none)] = None
    tc_ratio: Annotated[DecimalText | None, BeforeValidator(_blank_as_none)] = None
    tc_cutoff: Annotated[DecimalText | None, BeforeValidator(_blank_as_none)] = None
    assay: Annotated[Literal["COMP", "SAND"] | None, BeforeValidator(_blank_as_none)] = None
    kit_result: Annotated[Literal["positive", "negative"] | None,
                          BeforeValidator(_blank_as_none)] = None
    station_verdict: Literal["positive", "negative"]
    tested_at: Annotated[AwareDatetime, AfterValidator(datetime_in_range)] = Field(description="ISO 8601 with offset, e.g. 2026-11-28T08:10:00+08:00")
    operator: _text(40)
    instrument_serial: _text(80, required=False) = None
    kit_lot: _text(40, required=False) = None
    raw_line: _text(500, required=False) = None
    corrects_uid: Annotated[Code | None, BeforeValidator(_blank_as_none)] = Field(
        default=None, description="uid of a published record this one corrects")
    correction_reason: _text(500, required=False) = None

    @model_validator(mode="after")
    def _reading_fits_method(self) -> StationRecordIn:
        # the common case decided in a few comparisons; cross_check names the problems
        method, correcting = self.method, self.corrects_uid or self.correction_reason
        if not correcting and (
                (method == "enzyme_inhibition" and self.inhibition_pct is not None
                 and -100 <= float(self.inhibition_pct) <= 100)
                or (method == "colloidal_gold" and self.tc_ratio is not None
                    and self.tc_cutoff is not None and float(self.tc_ratio) >= 0
                    and float(self.tc_cutoff) > 0)
                or (method == "other_kit" and self.kit_result is not None)):
            return self
        problems = cross_check(dict(self.__dict__))
        if problems:
            raise FieldProblems(problems)
        return self


def _number(value: Any) -> Decimal | None:
    try:
        return finite_decimal(_number_as_text(value))
    except ValueError:
        return None


def cross_check(values: dict) -> dict[str, str]:
    """Rules between fields (the reading the method needs, corrections).  Also run on a raw
    record whose fields failed, so that one answer lists every problem of the record."""
    problems: dict[str, str] = {}

    def given(name: str) -> bool:
        value = values.get(name)
        return value is not None and str(value).strip() != ""

    method = values.get("method")
    if method == "enzyme_inhibition":
        rate = _number(values.get("inhibition_pct")) if given("inhibition_pct") else None
        if not given("inhibition_pct"):
            problems["inhibition_pct"] = "酶抑制法必须填写抑制率（%）"
        elif rate is not None and not Decimal("-100") <= rate <= Decimal("100"):
            problems["inhibition_pct"] = f"抑制率 {values['inhibition_pct']}% 超出 -100~100"
    elif method == "colloidal_gold":
        ratio = _number(values.get("tc_ratio")) if given("tc_ratio") else None
        cutoff = _number(values.get("tc_cutoff")) if given("tc_cutoff") else None
        if not given("tc_ratio"):
            problems["tc_ratio"] = "胶体金法必须填写 T/C 比值"
        elif ratio is not None and ratio < 0:
            problems["tc_ratio"] = "T/C 比值不能为负"
        if not given("tc_cutoff"):
            problems["tc_cutoff"] = "胶体金法必须填写试剂盒临界值（T/C cut-off）"
        elif cutoff is not None and cutoff <= 0:
            problems["tc_cutoff"] = "临界值必须为正数"
    elif method == "other_kit" and not given("kit_result"):
        problems["kit_result"] = "其他试剂盒必须填写试剂盒结果（positive/negative）"
    if given("corrects_uid") and not given("correction_reason"):
        problems["correction_reason"] = "更正记录必须填写更正原因"
    if given("correction_reason") and not given("corrects_uid"):
        problems["corrects_uid"] = "填写了更正原因，但未指明被更正记录（corrects_uid）"
    if given("corrects_uid") and values.get("corrects_uid") == values.get("uid"):
        problems["corrects_uid"] = "记录不能更正自身"
    return problems


class FieldProblems(ValueError):
    """Several field errors of one record found together (raised inside validation)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


class StationBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[StationRecordIn] = Field(min_length=1, max_length=1000)


class RecordOutcome(BaseModel):
    uid: str
    id: int
    server_verdict: Literal["positive", "negative", "not_judged"]
    disagreement: bool
    confirmation_task_id: int | None


class BatchOut(BaseModel):
    batch_id: int
    accepted: int
    positives: int
    disagreements: int
    records: list[RecordOutcome]


class RecordError(BaseModel):
    index: int = Field(description="0-based position in the batch (CSV: data row number − 2)")
    uid: str | None
    errors: dict[str, str]
    line: int | None = Field(default=None, description="CSV uploads: the file's line number")


class BatchErrorDetails(BaseModel):
    records: list[RecordError]


class ErrorOut(BaseModel):
    error: str
    details: Any = None


class BatchErrorOut(BaseModel):
    error: str
    details: BatchErrorDetails


class MarketOut(BaseModel):
    code: str
    name: str
    kind: Literal["wholesale", "retail", "supermarket"]
    county: str
    stall_count: int


class MarketsOut(BaseModel):
    markets: list[MarketOut]


class StationResultOut(BaseModel):
    id: int
    uid: str
    market: str
    stall: str
    vendor: str | None
    food_name: str
    food_category: str
    test_item: str
    method: str
    inhibition_pct: str | None
    tc_ratio: str | None
    tc_cutoff: str | None
    kit_result: str | None
    station_verdict: str
    server_verdict: str
    server_reason: str
    disagreement: bool
    tested_at: dt.datetime
    tested_on: dt.date
    operator: str
    instrument_serial: str | None
    kit_lot: str | None
    corrects_uid: str | None
    correction_reason: str | None
    published: bool
    confirmation_task_id: int | None


class StationResultsOut(BaseModel):
    date: Annotated[dt.date, BeforeValidator(iso_date_text)]
    results: list[StationResultOut]


class DayQuery(BaseModel):
    date: Annotated[dt.date, BeforeValidator(iso_date_text)] | None = Field(
        default=None, description="local day (YYYY-MM-DD), default today")
    market: MarketCode | None = None


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    market: MarketCode
    date: Annotated[dt.date, BeforeValidator(iso_date_text)]


class PublishOut(BaseModel):
    market: str
    date: Annotated[dt.date, BeforeValidator(iso_date_text)]
    published: int


def decimal_text(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:  # the pattern already refused it; kept for direct callers
        return None


class ConfirmationTaskOut(BaseModel):
    id: int
    status: Literal["open", "sample_registered", "confirmed", "not_confirmed", "cancelled"]
    lab: str
    lab_reason: str
    due_on: dt.date
    sample: str | None
    agreement: str
    result: StationResultOut


class ConfirmationTasksOut(BaseModel):
    tasks: list[ConfirmationTaskOut]


class TaskQuery(BaseModel):
    status: Literal["open", "all"] | None = Field(default=None, description="default: open")


class LinkSampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_number: Annotated[str, Field(min_length=1, max_length=40,
                                        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/\-]*$")]
