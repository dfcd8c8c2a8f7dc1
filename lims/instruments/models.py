"""Instruments as regulated records: the device, its certificates, its readings, capture requests.

A reading keeps the raw frame the device sent (bytes and an escaped text copy), so a result
can always be traced back to what the instrument actually said (ISO/IEC 17025 §7.5, §6.4).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import DecimalString, TimestampMixin, UTCDateTime, value_enum
from lims.extensions import db
from lims.orgs.models import Organization
from lims.users.models import User


class InstrumentKind(enum.StrEnum):
    BALANCE = "balance"
    PESTICIDE_READER = "pesticide_reader"  # 农药残留速测仪 (enzyme inhibition)
    GOLD_READER = "gold_reader"            # 胶体金读数仪
    OTHER = "other"


class CertificateKind(enum.StrEnum):
    CALIBRATION = "calibration"    # 校准证书
    VERIFICATION = "verification"  # 检定证书


class CaptureState(enum.StrEnum):
    PENDING = "pending"
    FULFILLED = "fulfilled"
    FAILED = "failed"


class Instrument(Audited, TimestampMixin, db.Model):
    __tablename__ = "instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[InstrumentKind] = mapped_column(value_enum(InstrumentKind, 20))
    driver: Mapped[str] = mapped_column(sa.String(40))  # name in lims.instruments.registry
    manufacturer: Mapped[str] = mapped_column(sa.String(80), default="")
    model: Mapped[str] = mapped_column(sa.String(80), default="")
    serial_number: Mapped[str] = mapped_column(sa.String(80), default="")
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    location: Mapped[str] = mapped_column(sa.String(120), default="")  # room
    bench: Mapped[str] = mapped_column(sa.String(40), default="")
    port_url: Mapped[str] = mapped_column(sa.String(200), default="")
    # overrides of the driver's defaults, validated with PortSettings.from_mapping
    port_settings: Mapped[str] = mapped_column(sa.Text, default="{}")
    active: Mapped[bool] = mapped_column(default=True)

    org: Mapped[Organization] = relationship()
    certificates: Mapped[list[CalibrationCertificate]] = relationship(
        back_populates="instrument", order_by="CalibrationCertificate.valid_until.desc()")

    def __repr__(self) -> str:
        return f"<Instrument {self.code}>"


class CalibrationCertificate(Audited, TimestampMixin, db.Model):
    __tablename__ = "instrument_certificate"
    __table_args__ = (sa.UniqueConstraint("instrument_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(60))
    kind: Mapped[CertificateKind] = mapped_column(value_enum(CertificateKind, 20))
    issued_by: Mapped[str] = mapped_column(sa.String(120))
    valid_from: Mapped[dt.date] = mapped_column(sa.Date)
    valid_until: Mapped[dt.date] = mapped_column(sa.Date)  # inclusive
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    instrument: Mapped[Instrument] = relationship(back_populates="certificates")


class CaptureRequest(Audited, TimestampMixin, db.Model):
    """A technician pressed "capture": the bench agent reads the instrument and answers."""

    __tablename__ = "instrument_capture_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    command: Mapped[str | None] = mapped_column(sa.String(16))
    state: Mapped[CaptureState] = mapped_column(value_enum(CaptureState, 12),
                                                default=CaptureState.PENDING)
    # no FK: the reading row points here (request_id), one direction keeps the schema acyclic
    reading_id: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.Text)

    instrument: Mapped[Instrument] = relationship()
    requested_by: Mapped[User] = relationship()


class InstrumentReading(Audited, TimestampMixin, db.Model):
    __tablename__ = "instrument_reading"
    # "latest" means last taken (read_at), not last received: after an outage readings can
    # arrive out of order
    __table_args__ = (sa.Index("ix_instrument_reading_taken", "instrument_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument.id"))
    uid: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the agent's idempotency key
    value: Mapped[Decimal] = mapped_column(DecimalString())
    unit: Mapped[str] = mapped_column(sa.String(16))
    stable: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(sa.String(24), default="")
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary)
    raw_text: Mapped[str] = mapped_column(sa.Text)
    driver: Mapped[str] = mapped_column(sa.String(40))
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    serial_number: Mapped[str | None] = mapped_column(sa.String(80))  # as the device reported
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("instrument_capture_request.id"), index=True)
    received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # rapid-test readers
    channel: Mapped[int | None] = mapped_column(sa.Integer)
    sample_id: Mapped[str | None] = mapped_column(sa.String(60))
    item: Mapped[str | None] = mapped_column(sa.String(80))
    inhibition_pct: Mapped[Decimal | None] = mapped_column(DecimalString())
    tc_ratio: Mapped[Decimal | None] = mapped_column(DecimalString())
    positive: Mapped[bool | None] = mapped_column(sa.Boolean)

    instrument: Mapped[Instrument] = relationship()
