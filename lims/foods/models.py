"""The sampling rules in the database: editions, the 4-level food tree, test-item tables.

An edition of 《食品安全监督抽检实施细则》 is a version: importing 2027 adds rows beside 2026,
so samples registered under 2026 keep pointing at the items they were planned with.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import TimestampMixin
from lims.extensions import db


class RulesEdition(Audited, TimestampMixin, db.Model):
    __tablename__ = "rules_edition"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    effective_from: Mapped[dt.date | None] = mapped_column(sa.Date)
    is_current: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    source: Mapped[str] = mapped_column(sa.Text, default="")


class FoodCategoryNode(TimestampMixin, db.Model):
    """大类 (1) → 亚类 (2) → 品种 (3) → 细类 (4), within one edition."""

    __tablename__ = "food_category"
    __table_args__ = (sa.UniqueConstraint("edition_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("rules_edition.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("food_category.id"), index=True)
    name_zh: Mapped[str] = mapped_column(sa.String(120), index=True)
    table_id: Mapped[str | None] = mapped_column(sa.String(20))
    is_placeholder: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    edition: Mapped[RulesEdition] = relationship()
    parent: Mapped[FoodCategoryNode | None] = relationship(remote_side=[id])


class TestItemRecord(Audited, TimestampMixin, db.Model):
    """One row of a 细类's test-item table (or of a local-standard item list)."""

    __tablename__ = "test_item"
    __table_args__ = (sa.UniqueConstraint("edition_id", "code"),)
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("rules_edition.id"), index=True)
    subcategory_id: Mapped[int] = mapped_column(sa.ForeignKey("food_category.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(120))
    seq: Mapped[int | None] = mapped_column(sa.Integer)
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    analyte_key: Mapped[str] = mapped_column(sa.String(120), index=True)
    expressed_as: Mapped[str | None] = mapped_column(sa.String(40))
    analyte_class: Mapped[str] = mapped_column(sa.String(30))
    is_residue: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    basis_standards: Mapped[str] = mapped_column(sa.Text, default="")
    basis_family: Mapped[str] = mapped_column(sa.Text, default="")
    method_standards: Mapped[str] = mapped_column(sa.Text, default="")
    footnotes: Mapped[str] = mapped_column(sa.Text, default="")
    local_standard: Mapped[str | None] = mapped_column(sa.String(60))
    source: Mapped[str] = mapped_column(sa.Text, default="")

    subcategory: Mapped[FoodCategoryNode] = relationship()

    @property
    def basis_list(self) -> list[str]:
        return [s for s in self.basis_standards.split("|") if s]

    @property
    def method_list(self) -> list[str]:
        return [s for s in self.method_standards.split("|") if s]
