"""An uploaded reference-data file and the outcome of importing it."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import TimestampMixin, UTCDateTime, utcnow, value_enum
from lims.extensions import db
from lims.users.models import User


class ImportKind(enum.StrEnum):
    LIMITS = "limits"              # limit rows of a standard (GB 2763 …), CSV or XLSX
    CAPABILITIES = "capabilities"  # what a lab declares it can test, CSV
    LOCAL_ITEMS = "local_items"    # a local-standard test-item list (DBS 65/…), CSV or XLSX


class ImportState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"   # the file had bad rows: nothing was written
    FAILED = "failed"     # an unexpected error: nothing was written


class ImportUpload(Audited, TimestampMixin, db.Model):
    """The file itself is kept in the database so that a worker on any host can read it."""

    __tablename__ = "import_upload"
    __audit_exclude__ = frozenset({"updated_at", "content", "progress_done", "progress_total"})

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(value_enum(ImportKind, 16))
    filename: Mapped[str] = mapped_column(sa.String(200))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    standard: Mapped[str | None] = mapped_column(sa.String(80))  # local items: DBS number
    state: Mapped[ImportState] = mapped_column(value_enum(ImportState, 12),
                                               default=ImportState.QUEUED)
    job_id: Mapped[str | None] = mapped_column(sa.String(64))
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None] = mapped_column(sa.Integer)
    message: Mapped[str | None] = mapped_column(sa.Text)  # summary, or every refused row
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    uploaded_by: Mapped[User] = relationship()
