"""Business records (被抽样单位, 标称生产者) and reviewed merge proposals."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import TimestampMixin, UTCDateTime, value_enum
from lims.extensions import db
from lims.orgs.models import Region
from lims.users.models import User


class BusinessKind(enum.StrEnum):
    PRODUCER = "producer"                # 生产企业
    SMALL_WORKSHOP = "small_workshop"    # 食品小作坊
    WHOLESALE_STALL = "wholesale_stall"  # 批发市场摊位
    MARKET_STALL = "market_stall"        # 农贸市场经营户
    SUPERMARKET = "supermarket"          # 超市
    RESTAURANT = "restaurant"            # 餐饮单位
    SCHOOL_CANTEEN = "school_canteen"    # 学校（含托幼机构）食堂
    RURAL_BANQUET = "rural_banquet"      # 农村集体聚餐供应者
    OTHER = "other"


# Kinds whose failures raise an alert of their own (plan: 学校食堂、农村集体聚餐 are 重点).
SENSITIVE_KINDS = frozenset({BusinessKind.SCHOOL_CANTEEN, BusinessKind.RURAL_BANQUET})


class Business(Audited, TimestampMixin, db.Model):
    __tablename__ = "business"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    name_key: Mapped[str] = mapped_column(sa.String(160), index=True)  # normalised name
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    licence_number: Mapped[str | None] = mapped_column(sa.String(40))
    licence_type: Mapped[str | None] = mapped_column(sa.String(40))  # 食品生产许可证 / 经营许可证 …
    address: Mapped[str | None] = mapped_column(sa.String(255))
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    kind: Mapped[BusinessKind] = mapped_column(value_enum(BusinessKind, 20),
                                               default=BusinessKind.OTHER)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("business.id"))

    region: Mapped[Region | None] = relationship()
    merged_into: Mapped[Business | None] = relationship(remote_side=[id])


class MergeState(enum.StrEnum):
    PROPOSED = "proposed"
    MERGED = "merged"
    REJECTED = "rejected"


class BusinessMergeProposal(Audited, TimestampMixin, db.Model):
    """A suggestion that two records are one business; only a reviewer merges them."""

    __tablename__ = "business_merge_proposal"
    __table_args__ = (sa.UniqueConstraint("source_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("business.id"), index=True)
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("business.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(255))
    state: Mapped[MergeState] = mapped_column(value_enum(MergeState, 12),
                                              default=MergeState.PROPOSED)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(sa.Text)

    source: Mapped[Business] = relationship(foreign_keys=[source_id])
    target: Mapped[Business] = relationship(foreign_keys=[target_id])
    reviewed_by: Mapped[User | None] = relationship()
