"""Worksheets, test results and their e-signatures."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.capabilities.models import LabCapability
from lims.core.db import DecimalString, TimestampMixin, UTCDateTime, utcnow, value_enum
from lims.extensions import db
from lims.instruments.models import InstrumentReading
from lims.orgs.models import Organization
from lims.samples.models import SampleTest
from lims.users.models import User


class ResultStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    APPROVED = "approved"


class SignatureMeaning(enum.StrEnum):
    SUBMITTED = "submitted"   # 检验
    REVIEWED = "reviewed"     # 审核
    APPROVED = "approved"     # 批准


# The order of the signatures; a change invalidates every signature from the first one on.
SIGNATURE_ORDER = (SignatureMeaning.SUBMITTED, SignatureMeaning.REVIEWED,
                   SignatureMeaning.APPROVED)


class Verdict(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_JUDGED = "not_judged"


class Detection(enum.StrEnum):
    DETECTED = "detected"
    NOT_DETECTED = "not_detected"  # below the LOD: 未检出, never a number
    BELOW_LOQ = "below_loq"        # between LOD and LOQ: reported <LOQ


class Worksheet(Audited, TimestampMixin, db.Model):
    """A technician's batch of tests run together (usually one method)."""

    __tablename__ = "worksheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    lab_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    method_key: Mapped[str | None] = mapped_column(sa.String(120))

    lab: Mapped[Organization] = relationship()
    created_by: Mapped[User] = relationship()
    results: Mapped[list[TestResult]] = relationship(back_populates="worksheet",
                                                     order_by="TestResult.id")


class TestResult(Audited, TimestampMixin, db.Model):
    """The result of one SampleTest: inputs, computed and reported value, verdict, status."""

    __tablename__ = "test_result"
    __test__ = False  # not a pytest test class despite the name
    __audit_exclude__ = frozenset({"updated_at", "version"})

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_test_id: Mapped[int] = mapped_column(sa.ForeignKey("sample_test.id"), unique=True)
    worksheet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("worksheet.id"), index=True)
    method_key: Mapped[str] = mapped_column(sa.String(120))
    # {input_name: {"value": "12.3456", "unit": "g", "reading_id": int | None}}
    inputs_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    value: Mapped[Decimal | None] = mapped_column(DecimalString())  # unrounded, in `unit`
    reported_value: Mapped[str] = mapped_column(sa.String(40), default="")
    unit: Mapped[str] = mapped_column(sa.String(20), default="")
    detected: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    lod: Mapped[Decimal | None] = mapped_column(DecimalString())
    loq: Mapped[Decimal | None] = mapped_column(DecimalString())
    limit_text: Mapped[str | None] = mapped_column(sa.String(120))
    limit_standard: Mapped[str | None] = mapped_column(sa.String(120))
    verdict: Mapped[str] = mapped_column(sa.String(16), default=Verdict.NOT_JUDGED.value)
    verdict_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # How the verdict was reached (GB/T 8170 §4.3 comparison, ISO/IEC 17025 §7.1.3 rule);
    # None when no verdict was given.
    comparison: Mapped[str | None] = mapped_column(sa.String(16))
    decision_rule: Mapped[str | None] = mapped_column(sa.String(16))
    # detected | not_detected (below LOD: 未检出) | below_loq (between LOD and LOQ)
    detection: Mapped[str] = mapped_column(sa.String(16), default="detected")
    lod_source: Mapped[str | None] = mapped_column(sa.String(16))  # capability | method
    limit_clause: Mapped[str | None] = mapped_column(sa.String(120))
    limit_verified: Mapped[str | None] = mapped_column(sa.String(10))  # yes | no | secondary
    # The method actually used: its standard as printed, the lab capability it came from,
    # and why the technician switched away from the declared one (None: not switched).
    method_standard: Mapped[str | None] = mapped_column(sa.String(160))
    capability_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lab_capability.id"))
    method_reason: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[ResultStatus] = mapped_column(value_enum(ResultStatus), default=ResultStatus.DRAFT,
                                                 index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)  # last send-back / change reason
    tested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    tested_on: Mapped[dt.date] = mapped_column(sa.Date)
    reading_id: Mapped[int | None] = mapped_column(sa.ForeignKey("instrument_reading.id"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    sample_test: Mapped[SampleTest] = relationship()
    worksheet: Mapped[Worksheet | None] = relationship(back_populates="results")
    tested_by: Mapped[User] = relationship()
    reading: Mapped[InstrumentReading | None] = relationship()
    capability: Mapped[LabCapability | None] = relationship()
    signatures: Mapped[list[ResultSignature]] = relationship(back_populates="result",
                                                             order_by="ResultSignature.id")


class ResultSignature(Audited, db.Model):
    """One e-signature (21 CFR Part 11 §11.50): who, when, meaning, bound to a record hash."""

    __tablename__ = "result_signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(sa.ForeignKey("test_result.id"), index=True)
    meaning: Mapped[str] = mapped_column(sa.String(16))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    printed_name: Mapped[str] = mapped_column(sa.String(120))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    record_hash: Mapped[str] = mapped_column(sa.String(64))
    invalidated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    invalidated_reason: Mapped[str | None] = mapped_column(sa.Text)
    # the signatory confirmed an unverified limit (限量待核) against the standard
    limit_confirmed: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    result: Mapped[TestResult] = relationship(back_populates="signatures")
    user: Mapped[User] = relationship()


class ResultChange(Audited, db.Model):
    """Why a saved result was changed, next to the audit rows of the change.

    The audit chain keeps old/new per field with the reason; this row keeps the reason and a
    compact before/after for the result's history page without scanning the chain.
    """

    __tablename__ = "result_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(sa.ForeignKey("test_result.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))  # edit | send_back
    reason: Mapped[str] = mapped_column(sa.Text)
    old_json: Mapped[str | None] = mapped_column(sa.Text)
    new_json: Mapped[str | None] = mapped_column(sa.Text)

    user: Mapped[User] = relationship()
