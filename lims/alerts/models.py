"""Alerts (level, evidence, owner, state), their targeted tasks, and imported outside notices."""

from __future__ import annotations

import datetime as dt
import enum
import json

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.businesses.models import Business
from lims.core.db import TimestampMixin, UTCDateTime, utcnow, value_enum
from lims.extensions import db
from lims.orgs.models import Region
from lims.plans.models import PlanTask
from lims.users.models import User


class AlertKind(enum.StrEnum):
    RATE_SPIKE = "rate_spike"              # failure rate above its baseline (binomial test)
    REPEAT_OFFENDER = "repeat_offender"    # a business failing again within 12 months
    PRODUCER_COUNTIES = "producer_counties"  # a producer failing in two counties
    RAPID_CLUSTER = "rapid_cluster"        # rapid positives in one market and item, 7 days
    NEW_FAILURE = "new_failure"            # an item failing that never failed for the food
    KEY_FOOD = "key_food"                  # a failure in a 重点食品
    SENSITIVE_SUPPLIER = "sensitive_supplier"  # school canteen / 农村集体聚餐
    OUTSIDE_NOTICE = "outside_notice"      # a supplier failing in a published notice


class AlertLevel(enum.StrEnum):
    RED = "red"        # 一级
    ORANGE = "orange"  # 二级
    YELLOW = "yellow"  # 三级


class AlertState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class Alert(Audited, TimestampMixin, db.Model):
    __tablename__ = "alert"
    __table_args__ = (sa.Index("ix_alert_state_raised", "state", "raised_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)  # one alert per signal
    kind: Mapped[AlertKind] = mapped_column(value_enum(AlertKind, 24))
    level: Mapped[AlertLevel] = mapped_column(value_enum(AlertLevel, 8))
    title: Mapped[str] = mapped_column(sa.String(255))
    detail: Mapped[str] = mapped_column(sa.Text, default="")  # the statistic, stated
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    variety: Mapped[str | None] = mapped_column(sa.String(60))
    item: Mapped[str | None] = mapped_column(sa.String(200))
    business_id: Mapped[int | None] = mapped_column(sa.ForeignKey("business.id"), index=True)
    # [{"type": "sample"|"business"|"rapid"|"notice", "id": …, "label": …}]
    evidence_json: Mapped[str] = mapped_column(sa.Text, default="[]")
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    state: Mapped[AlertState] = mapped_column(value_enum(AlertState, 14), default=AlertState.OPEN)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    close_note: Mapped[str | None] = mapped_column(sa.Text)

    region: Mapped[Region | None] = relationship()
    business: Mapped[Business | None] = relationship()
    owner: Mapped[User | None] = relationship()

    @property
    def evidence(self) -> list[dict]:
        return json.loads(self.evidence_json or "[]")


class AlertTask(Audited, db.Model):
    """A targeted sampling task (靶向抽检) an alert turned into."""

    __tablename__ = "alert_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("alert.id"), index=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_task.id"), unique=True)

    alert: Mapped[Alert] = relationship()
    task: Mapped[PlanTask] = relationship()


class NoticeImport(Audited, TimestampMixin, db.Model):
    """One imported 抽检信息公告 file (all of its rows or none)."""

    __tablename__ = "notice_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    row_count: Mapped[int] = mapped_column(sa.Integer)
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class NoticeRow(db.Model):
    """One non-compliant product of a published notice."""

    __tablename__ = "notice_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("notice_import.id"), index=True)
    producer_name: Mapped[str] = mapped_column(sa.String(200))
    producer_key: Mapped[str] = mapped_column(sa.String(160), index=True)
    producer_address: Mapped[str | None] = mapped_column(sa.String(255))
    seller_name: Mapped[str | None] = mapped_column(sa.String(200))
    food_name: Mapped[str] = mapped_column(sa.String(120))
    specification: Mapped[str | None] = mapped_column(sa.String(80))
    batch: Mapped[str | None] = mapped_column(sa.String(80))
    item: Mapped[str] = mapped_column(sa.String(200))
    result: Mapped[str | None] = mapped_column(sa.String(80))
    limit_text: Mapped[str | None] = mapped_column(sa.String(80))
    category: Mapped[str | None] = mapped_column(sa.String(60))
    notice_number: Mapped[str] = mapped_column(sa.String(80))
