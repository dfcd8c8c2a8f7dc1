"""Issued test reports (the signed PDF itself) and failed attempts to issue one."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from lims.audit.models import Audited
from lims.core.db import TimestampMixin, UTCDateTime, utcnow, value_enum
from lims.extensions import db
from lims.orgs.models import Organization
from lims.samples.models import Sample
from lims.users.models import User


class ReportStatus(enum.StrEnum):
    ISSUED = "issued"
    SUPERSEDED = "superseded"  # replaced by an amendment (ISO/IEC 17025 §7.8.8)
    WITHDRAWN = "withdrawn"


REPORT_STATUS_ZH = {
    ReportStatus.ISSUED: "有效",
    ReportStatus.SUPERSEDED: "已被替代",
    ReportStatus.WITHDRAWN: "已撤回",
}


class TestReport(Audited, TimestampMixin, db.Model):
    """One issued report. The signed PDF is stored once and never re-rendered; only the
    status columns change afterwards (superseded / withdrawn)."""

    __tablename__ = "test_report"
    __test__ = False  # not a pytest test class despite the name
    # The PDF bytes are represented in the audit trail by their SHA-256.
    __audit_exclude__ = frozenset({"updated_at", "pdf"})

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(64), unique=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("sample.id"), index=True)
    # 0 for the first report of a sample, +1 for each later one: with the unique constraint
    # below two concurrent issuers can never both write "the" report of a sample.
    revision: Mapped[int] = mapped_column(sa.Integer, default=0)
    lab_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    status: Mapped[ReportStatus] = mapped_column(value_enum(ReportStatus, 16),
                                                 default=ReportStatus.ISSUED)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_on: Mapped[dt.date] = mapped_column(sa.Date)  # the date printed (lab's time zone)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    pdf: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    page_count: Mapped[int] = mapped_column(sa.Integer)
    verify_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    cma_applied: Mapped[bool] = mapped_column(sa.Boolean)
    cma_reason: Mapped[str | None] = mapped_column(sa.Text)  # why the CMA mark was omitted
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("test_report.id"))
    amendment_reason: Mapped[str | None] = mapped_column(sa.Text)
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("test_report.id"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.UniqueConstraint("sample_id", "revision", name="uq_test_report_sample_revision"),
        sa.Index("ix_test_report_issued_at_id", "issued_at", "id"),
    )

    sample: Mapped[Sample] = relationship()
    lab: Mapped[Organization] = relationship()
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
    supersedes: Mapped[TestReport | None] = relationship(
        foreign_keys=[supersedes_id], remote_side=[id], viewonly=True)
    superseded_by: Mapped[TestReport | None] = relationship(
        foreign_keys=[superseded_by_id], remote_side=[id], viewonly=True)

    @property
    def status_zh(self) -> str:
        return REPORT_STATUS_ZH[self.status]


class ReportFailure(db.Model):
    """A failed attempt to issue a sample's report (shown on its page with a retry button).

    A log, not a regulated record: the approval it followed is committed and unaffected.
    """

    __tablename__ = "report_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("sample.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    message: Mapped[str] = mapped_column(sa.Text)
    resolved: Mapped[bool] = mapped_column(sa.Boolean, default=False)
