"""Drug monographs in the database and the drug part of a sample.

A drug sample is a :class:`~lims.samples.models.Sample` (numbering, labels, custody,
routing, results, e-signatures and the signed report all work on it unchanged) whose
``subcategory`` is its monograph's node in the pharmacopoeia edition (``ChP2025``, never the
current food edition) and whose tests are the monograph's items. :class:`DrugSample` holds
what a medicine has and a food has not.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import DecimalString, TimestampMixin, value_enum
from lims.extensions import db
from lims.foods.models import FoodCategoryNode
from lims.samples.models import Sample


class SupplyLink(enum.StrEnum):
    PRODUCTION = "production"    # 生产环节
    DISTRIBUTION = "distribution"  # 经营环节
    USE = "use"                  # 使用环节（医疗机构）


LINK_ZH = {SupplyLink.PRODUCTION: "生产", SupplyLink.DISTRIBUTION: "经营", SupplyLink.USE: "使用"}


class DrugMonograph(Audited, TimestampMixin, db.Model):
    """One monograph file as loaded (shipped with lims or imported by a lab)."""

    __tablename__ = "drug_monograph"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), index=True)
    dosage_form: Mapped[str] = mapped_column(sa.String(20))
    standard: Mapped[str] = mapped_column(sa.String(120))
    origin: Mapped[str] = mapped_column(sa.String(20))  # shipped | imported
    verified: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    body: Mapped[str] = mapped_column(sa.Text)  # the TOML text, the source of truth
    node_id: Mapped[int] = mapped_column(sa.ForeignKey("food_category.id"))

    node: Mapped[FoodCategoryNode] = relationship()


class DrugSample(Audited, TimestampMixin, db.Model):
    __tablename__ = "drug_sample"

    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("sample.id"), primary_key=True)
    monograph_id: Mapped[int] = mapped_column(sa.ForeignKey("drug_monograph.id"), index=True)
    generic_name: Mapped[str] = mapped_column(sa.String(120))      # 通用名称
    trade_name: Mapped[str | None] = mapped_column(sa.String(120))  # 商品名
    dosage_form: Mapped[str] = mapped_column(sa.String(20))         # 剂型
    strength: Mapped[str] = mapped_column(sa.String(60))            # 规格, as printed
    labelled_amount: Mapped[Decimal | None] = mapped_column(DecimalString())  # 标示量 per unit
    labelled_unit: Mapped[str | None] = mapped_column(sa.String(16))
    approval_number: Mapped[str] = mapped_column(sa.String(40))     # 批准文号
    expiry: Mapped[dt.date] = mapped_column(sa.Date)                # 有效期至
    manufacturer: Mapped[str] = mapped_column(sa.String(160))       # 生产企业
    holder: Mapped[str | None] = mapped_column(sa.String(160))      # 上市许可持有人
    sampling_unit: Mapped[str] = mapped_column(sa.String(160))      # 抽样单位
    link: Mapped[SupplyLink] = mapped_column(value_enum(SupplyLink), index=True)

    sample: Mapped[Sample] = relationship()
    monograph: Mapped[DrugMonograph] = relationship()

    @property
    def link_zh(self) -> str:
        return LINK_ZH[self.link]
