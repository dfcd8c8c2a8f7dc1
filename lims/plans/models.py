"""County variety lists, versioned annual plans, their tasks and the samples received for them."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import TimestampMixin, UTCDateTime, value_enum
from lims.extensions import db
from lims.foods.models import FoodCategoryNode
from lims.orgs.models import Organization, Region
from lims.samples.models import Sample
from lims.users.models import User


class CountyVariety(Audited, TimestampMixin, db.Model):
    """A variety produced or sold in a county (the list the plan must cover, ≥ 20 each)."""

    __tablename__ = "county_variety"
    __table_args__ = (sa.UniqueConstraint("region_id", "variety"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    variety: Mapped[str] = mapped_column(sa.String(60))        # 细类 name of the rules
    residue: Mapped[bool] = mapped_column(sa.Boolean, default=True)  # counts for 2 per 1,000
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    source: Mapped[str] = mapped_column(sa.String(200), default="")

    region: Mapped[Region] = relationship()


class PlanState(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


class SamplingPlan(Audited, TimestampMixin, db.Model):
    __tablename__ = "sampling_plan"
    __table_args__ = (sa.UniqueConstraint("year", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    state: Mapped[PlanState] = mapped_column(value_enum(PlanState, 12), default=PlanState.DRAFT)
    inputs_sha256: Mapped[str] = mapped_column(sa.String(64))  # what it was built from
    basis_json: Mapped[str] = mapped_column(sa.Text, default="{}")  # targets and weights
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(sa.Text)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    tasks: Mapped[list[PlanTask]] = relationship(back_populates="plan", order_by="PlanTask.id")


class TaskState(enum.StrEnum):
    PLANNED = "planned"
    ASSIGNED = "assigned"


class PlanTask(Audited, TimestampMixin, db.Model):
    """County × month × variety: how many samples, which items, which tier and which org."""

    __tablename__ = "plan_task"
    __table_args__ = (sa.Index("ix_plan_task_plan_month", "plan_id", "month", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("sampling_plan.id"))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"))
    month: Mapped[int] = mapped_column(sa.SmallInteger)
    variety: Mapped[str] = mapped_column(sa.String(60))
    subcategory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("food_category.id"))
    count: Mapped[int] = mapped_column(sa.Integer)
    items: Mapped[str] = mapped_column(sa.Text, default="")  # test item names, "、"-joined
    tier: Mapped[str] = mapped_column(sa.String(16))  # prefecture | county (分级抽检)
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    residue: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    targeted: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # 靶向抽检
    note: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[TaskState] = mapped_column(value_enum(TaskState, 12), default=TaskState.PLANNED)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    plan: Mapped[SamplingPlan] = relationship(back_populates="tasks")
    region: Mapped[Region] = relationship()
    subcategory: Mapped[FoodCategoryNode | None] = relationship()
    org: Mapped[Organization | None] = relationship()


class PlanTaskSample(Audited, db.Model):
    """A sample received against a task (one task per sample)."""

    __tablename__ = "plan_task_sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_task.id"), index=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("sample.id"), unique=True)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    task: Mapped[PlanTask] = relationship()
    sample: Mapped[Sample] = relationship()
