"""The limit library as regulated records: standards (editions) and their limit rows.

A row is kept as the text the standard writes (the same columns as the shipped CSV files),
so the database and the data files go through one validator and one index builder.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lims.audit.models import Audited
from lims.core.db import TimestampMixin
from lims.extensions import db


class LimitStandard(Audited, TimestampMixin, db.Model):
    __tablename__ = "limit_standard"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)  # e.g. GB 2762-2025
    family: Mapped[str] = mapped_column(sa.String(40))
    edition: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    effective_from: Mapped[dt.date] = mapped_column(sa.Date)
    effective_to: Mapped[dt.date | None] = mapped_column(sa.Date)
    replaced_by: Mapped[str] = mapped_column(sa.String(40), default="")
    comparison: Mapped[str] = mapped_column(sa.String(10), default="full")
    scheme: Mapped[str] = mapped_column(sa.String(20))
    base_edition: Mapped[str] = mapped_column(sa.String(40), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.Text, default="")
    verified: Mapped[str] = mapped_column(sa.String(10), default="no")


class LimitRowRecord(Audited, TimestampMixin, db.Model):
    __tablename__ = "limit_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    standard: Mapped[str] = mapped_column(sa.ForeignKey("limit_standard.code"), index=True)
    line: Mapped[int] = mapped_column(sa.Integer)  # row number in the imported file
    file: Mapped[str] = mapped_column(sa.String(120), default="")
    clause: Mapped[str] = mapped_column(sa.String(80))
    analyte: Mapped[str] = mapped_column(sa.String(255), index=True)
    expressed_as: Mapped[str] = mapped_column(sa.String(40), default="")
    category: Mapped[str] = mapped_column(sa.String(120))
    category_text: Mapped[str] = mapped_column(sa.Text, default="")
    exclusions: Mapped[str] = mapped_column(sa.Text, default="")
    limit: Mapped[str] = mapped_column(sa.String(120))
    unit: Mapped[str] = mapped_column(sa.String(30), default="")
    basis: Mapped[str] = mapped_column(sa.String(20), default="fresh")
    condition: Mapped[str] = mapped_column(sa.String(120), default="")
    temporary: Mapped[str] = mapped_column(sa.String(5), default="no")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    effective_from: Mapped[str] = mapped_column(sa.String(10), default="")
    effective_to: Mapped[str] = mapped_column(sa.String(10), default="")
    source: Mapped[str] = mapped_column(sa.Text)
    verified: Mapped[str] = mapped_column(sa.String(10), default="no")
