"""The audit entry and the mixin that marks a model as a regulated record."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lims.core.db import UTCDateTime
from lims.extensions import db


class Audited:
    """Mixin: every insert, update and delete of this model writes audit entries.

    ``__audit_exclude__`` names columns that are bookkeeping, not record content.
    """

    __audit_exclude__: frozenset[str] = frozenset({"updated_at"})


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    actor: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # create/update/delete
    table_name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    record_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    field: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    old_value: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    row_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)

    __table_args__ = (sa.Index("ix_audit_entry_record", "table_name", "record_id"),)


class AuditAnchor(db.Model):
    """The chain's head kept apart from its rows: the last row's hash and the number of rows.

    Written in the same transaction as the rows; ``lims audit verify`` compares the chain it
    walked with it, so that removing the newest rows (which leaves a chain that is intact up
    to where it stops) is found.
    """

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    last_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    row_count: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
