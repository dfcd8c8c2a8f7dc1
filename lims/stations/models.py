"""Markets, the rapid-test results their stations upload, and the labs' confirmation tasks.

``StationResult`` is insert-heavy (every station uploads hundreds of strips a day), so it does
not write the per-field audit chain; instead each row carries the SHA-256 of its content
(``content_hash``) and the rows are never updated after insert, except ``published``.  A
correction is a new row that references the old one (``corrects_id``) with a reason.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import DecimalString, TimestampMixin, UTCDateTime, utcnow, value_enum
from lims.extensions import db
from lims.orgs.models import Organization, Region


class MarketKind(enum.StrEnum):
    WHOLESALE = "wholesale"      # 批发市场
    RETAIL = "retail"            # 农贸市场
    SUPERMARKET = "supermarket"  # 超市


class RapidMethod(enum.StrEnum):
    ENZYME_INHIBITION = "enzyme_inhibition"  # 酶抑制法 GB/T 5009.199
    COLLOIDAL_GOLD = "colloidal_gold"        # 胶体金
    OTHER_KIT = "other_kit"                  # 其他快检试剂盒


class RapidVerdict(enum.StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"
    NOT_JUDGED = "not_judged"  # server side only: the record lacks what the method needs


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    SAMPLE_REGISTERED = "sample_registered"
    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"
    CANCELLED = "cancelled"


class Market(Audited, TimestampMixin, db.Model):
    __tablename__ = "market"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    station_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    kind: Mapped[MarketKind] = mapped_column(value_enum(MarketKind, 16))
    # registered farm-produce stalls/vendors: the base of the rapid-testing rate
    stall_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    address: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    region: Mapped[Region] = relationship()
    station_org: Mapped[Organization] = relationship()


class StationBatch(db.Model):
    """One accepted upload (JSON, CSV, the phone form or the agent)."""

    __tablename__ = "station_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    source: Mapped[str] = mapped_column(sa.String(16))  # json | csv | form | correction
    record_count: Mapped[int] = mapped_column(sa.Integer)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StationResult(db.Model):
    __tablename__ = "station_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(64))  # unique per station (see below)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    station_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    market_id: Mapped[int] = mapped_column(sa.ForeignKey("market.id"))
    stall: Mapped[str] = mapped_column(sa.String(40))
    vendor: Mapped[str | None] = mapped_column(sa.String(80))
    food_name: Mapped[str] = mapped_column(sa.String(60))
    food_category: Mapped[str] = mapped_column(sa.String(20))
    test_item: Mapped[str] = mapped_column(sa.String(60))
    analyte_key: Mapped[str | None] = mapped_column(sa.String(120))
    method: Mapped[RapidMethod] = mapped_column(value_enum(RapidMethod, 20))
    inhibition_pct: Mapped[Decimal | None] = mapped_column(DecimalString())
    tc_ratio: Mapped[Decimal | None] = mapped_column(DecimalString())
    tc_cutoff: Mapped[Decimal | None] = mapped_column(DecimalString())
    assay: Mapped[str | None] = mapped_column(sa.String(4))  # COMP | SAND (colloidal gold)
    kit_result: Mapped[str | None] = mapped_column(sa.String(16))
    station_verdict: Mapped[RapidVerdict] = mapped_column(value_enum(RapidVerdict, 12))
    server_verdict: Mapped[RapidVerdict] = mapped_column(value_enum(RapidVerdict, 12))
    server_reason: Mapped[str] = mapped_column(sa.String(200))
    disagreement: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    tested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    tested_on: Mapped[dt.date] = mapped_column(sa.Date)  # local (lab time zone) day
    operator: Mapped[str] = mapped_column(sa.String(40))
    instrument_serial: Mapped[str | None] = mapped_column(sa.String(80))
    kit_lot: Mapped[str | None] = mapped_column(sa.String(40))
    raw_line: Mapped[str | None] = mapped_column(sa.Text)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("station_batch.id"))
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("station_result.id"))
    correction_reason: Mapped[str | None] = mapped_column(sa.Text)
    published: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        # the day view and the public page: one market (or station), one day
        sa.Index("ix_station_result_market_day", "market_id", "tested_on", "id"),
        sa.Index("ix_station_result_station_day", "station_org_id", "tested_on", "id"),
        sa.Index("ix_station_result_corrects", "corrects_id"),
        # a station's own uids: another station's ids are neither visible nor in the way
        sa.UniqueConstraint("station_org_id", "uid", name="uq_station_result_station_uid"),
    )

    market: Mapped[Market] = relationship()
    station_org: Mapped[Organization] = relationship()
    corrects: Mapped[StationResult | None] = relationship(remote_side=[id])

    @property
    def positive(self) -> bool:
        return RapidVerdict.POSITIVE in (self.station_verdict, self.server_verdict)

    @property
    def reading_text(self) -> str:
        if self.method == RapidMethod.ENZYME_INHIBITION and self.inhibition_pct is not None:
            return f"{self.inhibition_pct}%"
        if self.method == RapidMethod.COLLOIDAL_GOLD and self.tc_ratio is not None:
            cutoff = f" / {self.tc_cutoff}" if self.tc_cutoff is not None else ""
            return f"T/C {self.tc_ratio}{cutoff}"
        return self.kit_result or ""


def current_result_clause() -> sa.ColumnElement[bool]:
    """The result is current: no correction replaces it.  A corrected result counts once,
    as its correction — in the rapid-testing rate, publication and confirmation figures."""
    newer = sa.orm.aliased(StationResult)
    return ~sa.exists().where(newer.corrects_id == StationResult.id)


class ConfirmationTask(Audited, TimestampMixin, db.Model):
    """A lab's task to collect a sample from the vendor of a positive rapid result."""

    __tablename__ = "confirmation_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_result_id: Mapped[int] = mapped_column(sa.ForeignKey("station_result.id"),
                                                   unique=True)
    lab_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    lab_reason: Mapped[str] = mapped_column(sa.String(200))
    sample_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sample.id"), unique=True)
    due_on: Mapped[dt.date] = mapped_column(sa.Date)
    status: Mapped[TaskStatus] = mapped_column(value_enum(TaskStatus, 20), default=TaskStatus.OPEN)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index("ix_confirmation_task_status", "status", "due_on"),)

    station_result: Mapped[StationResult] = relationship()
    lab_org: Mapped[Organization] = relationship()
    sample = relationship("Sample")


class MarketStall(Audited, TimestampMixin, db.Model):
    """A registered farm-produce stall of a market (the market registry).

    ``code`` is stored normalised (lims.stations.stalls.normalise_stall): "A-1", "a-1",
    "A－1", "A 1" and "A-001" are one stall.  Uploads must name a registered, active stall;
    the rapid-testing rate counts the active stalls of active wholesale markets.
    """

    __tablename__ = "market_stall"

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(sa.ForeignKey("market.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    vendor: Mapped[str | None] = mapped_column(sa.String(80))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    __table_args__ = (sa.UniqueConstraint("market_id", "code", name="uq_market_stall_code"),)

    market: Mapped[Market] = relationship()
