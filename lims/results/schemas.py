"""Request and response bodies of the results API (pydantic 2; also the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _number_as_text(value: Any) -> Any:
    # a JSON number is taken as the decimal text it showed (12.5 -> "12.5"), never a float
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return value


DecimalText = Annotated[str, BeforeValidator(_number_as_text),
                        Field(max_length=30, description='exact decimal as text, e.g. "0.5012"')]


class CapturedInput(BaseModel):
    """A value with the instrument reading it came from (the reading's value is used)."""

    model_config = ConfigDict(extra="forbid")

    value: DecimalText | None = Field(default=None, description="empty: take the reading")
    reading_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                   description="id of a stored reading of the lab's instrument")


class ResultInputsIn(BaseModel):
    """The inputs of one determination, by the method's input names."""

    model_config = ConfigDict(extra="forbid")

    inputs: dict[Annotated[str, Field(max_length=40)], DecimalText | CapturedInput] = Field(
        description='{"rho": "12.5", "m": {"reading_id": 42}}')
    version: int | None = Field(default=None, ge=1, le=2**31 - 1, description=(
        "version of the stored result the client edited; required once a result exists"))
    reason: Annotated[str, Field(max_length=2000)] | None = Field(
        default=None, description="required when a saved result is changed")
    unit: Annotated[str, Field(max_length=20)] | None = Field(
        default=None, description="an alternative result unit of the method (e.g. mg/L)")


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meaning: Literal["submitted", "reviewed", "approved"]
    password: Annotated[str, Field(min_length=1, max_length=200)]
    version: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                description="the version the signer saw; refused if older")
    confirm_limit: bool = Field(default=False,
                                description="approval: the signatory checked the result's "
                                            "unverified limit (限量待核) against the standard")


class MethodSwitchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Annotated[str, Field(min_length=1, max_length=120,
                                 description="method code, one the lab declares and the "
                                             "rules allow")]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    version: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                description="the result's version, when it has one")


class SignManyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meaning: Literal["submitted", "reviewed", "approved"]
    password: Annotated[str, Field(min_length=1, max_length=200)]
    results: Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]],
                       Field(min_length=1, max_length=500,
                             description="ids of the sample's results to sign")]
    versions: dict[str, Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        default_factory=dict, description="{result id: the version the signer saw}")
    confirm_limits: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        default_factory=list, description="results whose unverified limit (限量待核) the "
                                          "signatory checked against the standard")


class SendBackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class InputValueOut(BaseModel):
    value: str
    unit: str
    reading_id: int | None


class SignatureOut(BaseModel):
    meaning: str
    user: str
    printed_name: str
    signed_at: str
    record_hash: str
    valid: bool
    invalidated_at: str | None
    invalidated_reason: str | None


class ResultOut(BaseModel):
    id: int
    test_id: int
    sample: str
    item: str
    item_code: str
    method: str
    inputs: dict[str, InputValueOut]
    value: str | None
    reported_value: str
    unit: str
    detected: bool
    lod: str | None
    loq: str | None
    limit: str | None
    limit_standard: str | None
    verdict: Literal["pass", "fail", "not_judged"]
    verdict_reason: str
    comparison: Literal["full", "rounded"] | None
    decision_rule: Literal["simple", "guarded", "non-binary"] | None
    detection: Literal["detected", "not_detected", "below_loq"]
    display: str
    lod_source: Literal["capability", "method"] | None
    limit_clause: str | None
    limit_verified: str | None
    limit_pending: bool
    method_standard: str | None
    method_reason: str | None
    status: Literal["draft", "submitted", "reviewed", "approved"]
    status_reason: str | None
    tested_by: str
    tested_on: str
    worksheet: str | None
    version: int
    record_hash: str
    signatures: list[SignatureOut]


class MethodInputOut(BaseModel):
    name: str
    label: str
    unit: str
    source: Literal["typed", "balance", "reader"]
    required: bool


class MethodOut(BaseModel):
    code: str
    standard: str
    result_unit: str
    inputs: list[MethodInputOut]


class AssignedTestOut(BaseModel):
    test_id: int
    sample: str
    food: str
    item: str
    item_code: str
    method_standard: str | None
    method: MethodOut | None
    method_error: str | None
    result: ResultOut | None


class AssignedOut(BaseModel):
    tests: list[AssignedTestOut]
    next: str | None = Field(description="cursor of the next page (`after`); null on the last")


class AssignedQuery(BaseModel):
    after: str | None = Field(None, max_length=200,
                              description="`next` of the previous page (keyset cursor)")
    limit: int | None = Field(None, ge=1, le=200, description="tests per page (default 50)")


class SignOut(BaseModel):
    signature: SignatureOut
    result: ResultOut
    sample_status: str


class SignManyOut(BaseModel):
    signatures: list[SignatureOut]
    results: list[ResultOut]
    sample_status: str


class StaleOut(BaseModel):
    """409: the stored result (someone else's change) in ``details.current``."""

    error: str
    details: dict[str, Any]
