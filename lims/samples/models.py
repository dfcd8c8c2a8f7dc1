"""Samples, sub-samples, the tests on them, and their chain-of-custody events."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.businesses.models import Business
from lims.core.db import DecimalString, TimestampMixin, UTCDateTime, utcnow, value_enum
from lims.extensions import db
from lims.foods.models import FoodCategoryNode, TestItemRecord
from lims.orgs.models import Organization, Region
from lims.samples.lifecycle import SampleStatus
from lims.users.models import User


class TaskType(enum.StrEnum):
    SUPERVISION = "supervision"        # 监督抽检
    RISK_MONITORING = "risk_monitoring"  # 风险监测
    RAPID_RETEST = "rapid_retest"      # 快检阳性复检
    COMMISSIONED = "commissioned"      # 委托检验


TASK_TYPE_ZH = {
    TaskType.SUPERVISION: "监督抽检",
    TaskType.RISK_MONITORING: "风险监测",
    TaskType.RAPID_RETEST: "快检阳性复检",
    TaskType.COMMISSIONED: "委托检验",
}


class SampleSequence(db.Model):
    """Named counters for sample numbers (see numbering.next_value)."""

    __tablename__ = "sample_sequence"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Sample(Audited, TimestampMixin, db.Model):
    __tablename__ = "sample"
    __audit_exclude__ = frozenset({"updated_at", "version"})

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sample.id"), index=True)
    suffix: Mapped[str | None] = mapped_column(sa.String(4))
    status: Mapped[SampleStatus] = mapped_column(value_enum(SampleStatus), default=SampleStatus.REGISTERED)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    task_type: Mapped[TaskType] = mapped_column(value_enum(TaskType))

    food_name: Mapped[str] = mapped_column(sa.String(120))
    subcategory_id: Mapped[int] = mapped_column(sa.ForeignKey("food_category.id"))
    category_code: Mapped[str] = mapped_column(sa.String(20))  # 大类, for filtering and stats

    business_name: Mapped[str] = mapped_column(sa.String(160))
    business_licence: Mapped[str | None] = mapped_column(sa.String(40))
    business_address: Mapped[str | None] = mapped_column(sa.String(255))
    business_region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"))
    # links to the business records (lims.businesses), set at receipt by lims.samples.links
    business_id: Mapped[int | None] = mapped_column(sa.ForeignKey("business.id"), index=True)
    producer_business_id: Mapped[int | None] = mapped_column(sa.ForeignKey("business.id"),
                                                             index=True)

    # The sampling form (抽样单) as recorded: plain text, printed on the report header.
    sampling_form_no: Mapped[str | None] = mapped_column(sa.String(60))
    task_source: Mapped[str | None] = mapped_column(sa.String(200))
    customer_name: Mapped[str | None] = mapped_column(sa.String(160))  # 委托单位 (commissioned)
    customer_address: Mapped[str | None] = mapped_column(sa.String(255))

    sampled_on: Mapped[dt.date] = mapped_column(sa.Date)
    sampling_place: Mapped[str | None] = mapped_column(sa.String(160))
    sampler: Mapped[str | None] = mapped_column(sa.String(120))
    sampling_base: Mapped[str | None] = mapped_column(sa.String(60))  # 抽样基数, e.g. "20 kg"
    producer: Mapped[str | None] = mapped_column(sa.String(160))  # 标称生产者
    producer_address: Mapped[str | None] = mapped_column(sa.String(255))
    specification: Mapped[str | None] = mapped_column(sa.String(80))  # 规格型号
    batch_number: Mapped[str | None] = mapped_column(sa.String(60))
    production_date: Mapped[dt.date | None] = mapped_column(sa.Date)

    quantity: Mapped[Decimal] = mapped_column(DecimalString())
    quantity_unit: Mapped[str] = mapped_column(sa.String(16))
    retained_quantity: Mapped[Decimal | None] = mapped_column(DecimalString())
    retained_unit: Mapped[str | None] = mapped_column(sa.String(16))
    retained_location: Mapped[str | None] = mapped_column(sa.String(120))

    condition_ok: Mapped[bool] = mapped_column(sa.Boolean)
    condition_notes: Mapped[str | None] = mapped_column(sa.Text)  # the deviation, if any
    # 样品状态 as the receiver described it (printed on the report; NULL on rows received
    # before it was recorded: the report then says only what was recorded).
    condition_description: Mapped[str | None] = mapped_column(sa.String(255))

    registered_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    assigned_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"))
    holder_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"))
    received_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Keyset pagination and the list's filters (see services.list_samples).
        sa.Index("ix_sample_received_at_id", "received_at", "id"),
        sa.Index("ix_sample_sampled_on_id", "sampled_on", "id"),
        sa.Index("ix_sample_status_received", "status", "received_at", "id"),
        sa.Index("ix_sample_region_received", "business_region_id", "received_at", "id"),
        sa.Index("ix_sample_assigned_received", "assigned_org_id", "received_at", "id"),
        sa.Index("ix_sample_registered_received", "registered_org_id", "received_at", "id"),
        sa.Index("ix_sample_category_received", "category_code", "received_at", "id"),
        sa.Index("ix_sample_task_received", "task_type", "received_at", "id"),
    )

    parent: Mapped[Sample | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Sample]] = relationship(back_populates="parent",
                                                  order_by="Sample.suffix")
    subcategory: Mapped[FoodCategoryNode] = relationship()
    business_region: Mapped[Region] = relationship()
    business: Mapped[Business | None] = relationship(foreign_keys=[business_id])
    producer_business: Mapped[Business | None] = relationship(foreign_keys=[producer_business_id])
    registered_org: Mapped[Organization] = relationship(foreign_keys=[registered_org_id])
    assigned_org: Mapped[Organization | None] = relationship(foreign_keys=[assigned_org_id])
    holder_org: Mapped[Organization | None] = relationship(foreign_keys=[holder_org_id])
    received_by: Mapped[User] = relationship()
    tests: Mapped[list[SampleTest]] = relationship(back_populates="sample",
                                                   order_by="SampleTest.id")
    events: Mapped[list[CustodyEvent]] = relationship(back_populates="sample",
                                                      order_by="CustodyEvent.id")

    @property
    def root(self) -> Sample:
        return self.parent or self

    @property
    def active_tests(self) -> list[SampleTest]:
        return [t for t in self.tests if not t.removed]


class SampleTest(Audited, TimestampMixin, db.Model):
    """One test item on a sample (or, after a split, on the sub-sample that carries it)."""

    __tablename__ = "sample_test"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("sample.id"), index=True)
    test_item_id: Mapped[int] = mapped_column(sa.ForeignKey("test_item.id"), index=True)
    basis_standard: Mapped[str] = mapped_column(sa.String(200))
    method_standard: Mapped[str | None] = mapped_column(sa.String(120))
    lab_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    from_rules: Mapped[bool] = mapped_column(sa.Boolean, default=True)  # proposed by the table
    removed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    removed_reason: Mapped[str | None] = mapped_column(sa.Text)
    added_reason: Mapped[str | None] = mapped_column(sa.Text)

    sample: Mapped[Sample] = relationship(back_populates="tests")
    test_item: Mapped[TestItemRecord] = relationship()
    lab: Mapped[Organization | None] = relationship()


class CustodyKind(enum.StrEnum):
    RECEIVED = "received"            # registered at receipt
    TEST_PLAN = "test_plan"
    SPLIT = "split"
    DISPATCHED = "dispatched"
    RECEIVED_AT_LAB = "received_at_lab"
    ASSIGNED = "assigned"
    STATUS = "status"
    RESULT = "result"
    REPORT = "report"


class CustodyEvent(Audited, db.Model):
    """One entry of the sample's timeline; hand-overs carry condition and temperature."""

    __tablename__ = "custody_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("sample.id"), index=True)
    kind: Mapped[CustodyKind] = mapped_column(value_enum(CustodyKind))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    from_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"))
    to_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id"))
    condition: Mapped[str | None] = mapped_column(sa.String(200))
    temperature_c: Mapped[Decimal | None] = mapped_column(DecimalString())
    summary: Mapped[str] = mapped_column(sa.Text)

    sample: Mapped[Sample] = relationship(back_populates="events")
    by_user: Mapped[User | None] = relationship()
    from_org: Mapped[Organization | None] = relationship(foreign_keys=[from_org_id])
    to_org: Mapped[Organization | None] = relationship(foreign_keys=[to_org_id])
