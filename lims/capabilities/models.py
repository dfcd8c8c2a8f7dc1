"""A lab's declared capability: an item (or analyte within a food scope) by a method."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import DecimalString, TimestampMixin, UTCDateTime
from lims.extensions import db
from lims.foods.models import TestItemRecord
from lims.orgs.models import Organization


class LabCapability(Audited, TimestampMixin, db.Model):
    __tablename__ = "lab_capability"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    test_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("test_item.id"), index=True)
    analyte_key: Mapped[str] = mapped_column(sa.String(120), index=True)
    # A 大类/亚类/品种/细类 code of the current rules edition; None means any food.
    food_scope_code: Mapped[str | None] = mapped_column(sa.String(20))
    method_standard: Mapped[str] = mapped_column(sa.String(120))
    lod: Mapped[Decimal | None] = mapped_column(DecimalString())
    loq: Mapped[Decimal | None] = mapped_column(DecimalString())
    unit: Mapped[str | None] = mapped_column(sa.String(20))
    in_cma_scope: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    valid_from: Mapped[dt.date | None] = mapped_column(sa.Date)
    valid_until: Mapped[dt.date | None] = mapped_column(sa.Date)
    equivalent_to: Mapped[str | None] = mapped_column(sa.String(120))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # withdrawn: inactive from then on, with the reason and who did it (audited)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    org: Mapped[Organization] = relationship()
    test_item: Mapped[TestItemRecord | None] = relationship()

    def valid_on(self, on: dt.date) -> bool:
        if not self.active:
            return False
        if self.valid_from and on < self.valid_from:
            return False
        return not (self.valid_until and on > self.valid_until)
