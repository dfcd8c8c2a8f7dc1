"""Regions (with population, for the per-1,000-people targets) and organisations."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import TimestampMixin, value_enum
from lims.extensions import db


class RegionLevel(enum.StrEnum):
    PREFECTURE = "prefecture"
    COUNTY = "county"


class OrgTier(enum.StrEnum):
    PREFECTURE_LAB = "prefecture_lab"  # 州级: full capability
    COUNTY_LAB = "county_lab"          # 县级: rapid tests, microbes, metals, residues
    STATION = "station"                # market rapid-test station, belongs to a county


class Region(Audited, TimestampMixin, db.Model):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)  # GB/T 2260 division code
    name: Mapped[str] = mapped_column(sa.String(60))
    level: Mapped[RegionLevel] = mapped_column(value_enum(RegionLevel, 16))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"))
    population: Mapped[int] = mapped_column(sa.Integer)
    population_source: Mapped[str | None] = mapped_column(sa.String(200))

    parent: Mapped[Region | None] = relationship(remote_side=[id])


class Organization(Audited, TimestampMixin, db.Model):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str | None] = mapped_column(sa.String(160))
    tier: Mapped[OrgTier] = mapped_column(value_enum(OrgTier, 20))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(255))
    population_served: Mapped[int] = mapped_column(sa.Integer)
    cma_certificate: Mapped[str | None] = mapped_column(sa.String(40))
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship()

    @property
    def is_lab(self) -> bool:
        return self.tier in (OrgTier.PREFECTURE_LAB, OrgTier.COUNTY_LAB)

    @property
    def sees_everything(self) -> bool:
        return self.tier == OrgTier.PREFECTURE_LAB

    def __repr__(self) -> str:
        return f"<Organization {self.code}>"
