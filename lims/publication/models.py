"""食品安全监督抽检信息公告: supervision results published to the public.

A notice is published once and never changed; a correction is a new notice naming the one it
replaces (``replaces_id``) with a reason.  Each entry is a root sample as the notice printed
it (a snapshot of the sample's fields and failing items on the day of publication).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import UTCDateTime, utcnow
from lims.extensions import db


class PublicNotice(Audited, db.Model):
    __tablename__ = "public_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(60), unique=True)  # 公告号
    title: Mapped[str] = mapped_column(sa.String(200))
    issuer: Mapped[str] = mapped_column(sa.String(120))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("public_notice.id"),
                                                    unique=True)
    correction_reason: Mapped[str | None] = mapped_column(sa.Text)

    replaces: Mapped[PublicNotice | None] = relationship(remote_side=[id])
    entries: Mapped[list[PublicNoticeEntry]] = relationship(
        back_populates="notice", order_by="PublicNoticeEntry.position")


class PublicNoticeEntry(Audited, db.Model):
    __tablename__ = "public_notice_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("public_notice.id"), index=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("sample.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    qualified: Mapped[bool] = mapped_column(sa.Boolean)
    sample_number: Mapped[str] = mapped_column(sa.String(40))
    producer_name: Mapped[str] = mapped_column(sa.String(160), default="")
    producer_address: Mapped[str] = mapped_column(sa.String(255), default="")
    business_name: Mapped[str] = mapped_column(sa.String(160))
    business_address: Mapped[str] = mapped_column(sa.String(255), default="")
    food_name: Mapped[str] = mapped_column(sa.String(120))
    specification: Mapped[str] = mapped_column(sa.String(120), default="")
    batch: Mapped[str] = mapped_column(sa.String(80), default="")  # 生产日期/批号
    failing_items: Mapped[str] = mapped_column(sa.Text, default="")  # lines item║result║limit
    category: Mapped[str] = mapped_column(sa.String(120), default="")
    sampled_on: Mapped[dt.date] = mapped_column(sa.Date)
    lab_name: Mapped[str] = mapped_column(sa.String(160), default="")

    notice: Mapped[PublicNotice] = relationship(back_populates="entries")

    __table_args__ = (sa.UniqueConstraint("notice_id", "sample_id",
                                          name="uq_public_notice_entry_sample"),)
