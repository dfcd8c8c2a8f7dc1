"""The statistics rollup: one row per report unit and per (item, county, month).

The dashboard must answer in well under a second over a year of a prefecture at 100× real
volume (a million test results).  Aggregating the sample, test, result and report tables on
every request does not: so the figures read these narrow tables, which hold the same
SQL aggregates per report unit and per item-month and are kept up to date incrementally.

Any flush that touches a sample, a test, a result or a report records the sample (or test)
in ``stats_dirty`` in the same transaction (a Session listener, like the audit trail's); the
next statistics request recomputes just those units and the item-months they fall in.
``lims stats rebuild`` recomputes everything (after bulk loads that bypass the ORM).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from lims.core.db import UTCDateTime
from lims.extensions import db


class StatsUnit(db.Model):
    """A sample that carries tests (unsplit, or a sub-sample): its county, task, food and
    how far its tests have come."""

    __tablename__ = "stats_unit"

    sample_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    root_id: Mapped[int] = mapped_column(sa.Integer)
    region_id: Mapped[int] = mapped_column(sa.Integer)
    task_type: Mapped[str] = mapped_column(sa.String(24))
    category_code: Mapped[str] = mapped_column(sa.String(20))
    food_name: Mapped[str] = mapped_column(sa.String(120))
    sampled_on: Mapped[dt.date] = mapped_column(sa.Date)
    year: Mapped[int] = mapped_column(sa.Integer)
    month: Mapped[int] = mapped_column(sa.Integer)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    n_tests: Mapped[int] = mapped_column(sa.Integer)
    n_results: Mapped[int] = mapped_column(sa.Integer)
    n_approved: Mapped[int] = mapped_column(sa.Integer)
    residue: Mapped[int] = mapped_column(sa.Integer)  # 1: a residue item has a result
    failed: Mapped[int] = mapped_column(sa.Integer)   # 1: an approved result failed
    reported: Mapped[int] = mapped_column(sa.Integer)  # 1: an issued (or amended) report
    # 1: the root sample is on a 食品安全监督抽检信息公告 (lims.publication)
    published: Mapped[int] = mapped_column(sa.Integer, default=0)
    subcategory_id: Mapped[int | None] = mapped_column(sa.Integer)
    first_report_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_stats_unit_sampled", "sampled_on", "region_id"),
        sa.Index("ix_stats_unit_report", "first_report_at"),
    )


class StatsItemCount(db.Model):
    """Per test item, county and month of sampling: tests needed, with a result, failed."""

    __tablename__ = "stats_item_count"

    test_item_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True,
                                              autoincrement=False)
    region_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    required: Mapped[int] = mapped_column(sa.Integer)
    tested: Mapped[int] = mapped_column(sa.Integer)
    failed: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (sa.Index("ix_stats_item_count_month", "year", "month", "region_id"),)


class StatsTest(db.Model):
    """One active test of a report unit, where it counts: the item-month cells are summed
    from these rows, so a refresh recounts only the cells its samples touch."""

    __tablename__ = "stats_test"

    sample_test_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True,
                                                autoincrement=False)
    sample_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    test_item_id: Mapped[int] = mapped_column(sa.Integer)
    region_id: Mapped[int] = mapped_column(sa.Integer)
    year: Mapped[int] = mapped_column(sa.Integer)
    month: Mapped[int] = mapped_column(sa.Integer)
    tested: Mapped[int] = mapped_column(sa.Integer)
    failed: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (sa.Index("ix_stats_test_cell", "region_id", "year", "month",
                               "test_item_id"),)


class StatsDirty(db.Model):
    """A sample (or test) changed since the rollup was last brought up to date."""

    __tablename__ = "stats_dirty"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int | None] = mapped_column(sa.Integer)
    sample_test_id: Mapped[int | None] = mapped_column(sa.Integer)


# --- marking: a Session listener, like the audit trail's -------------------------------

def _touched(session: Session) -> tuple[set[int], set[int]]:
    from lims.publication.models import PublicNoticeEntry
    from lims.reports.models import TestReport
    from lims.results.models import TestResult
    from lims.samples.models import Sample, SampleTest

    samples: set[int] = set()
    tests: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Sample):
            samples.add(obj.id)
        elif isinstance(obj, SampleTest):
            samples.add(obj.sample_id)
            # a split moves the test to a sub-sample: the old unit changes too
            samples.update(v for v in inspect(obj).attrs.sample_id.history.deleted if v)
        elif isinstance(obj, TestResult):
            tests.add(obj.sample_test_id)
        elif isinstance(obj, TestReport):
            samples.add(obj.sample_id)
        elif isinstance(obj, PublicNoticeEntry):
            samples.add(obj.sample_id)
            # a split sample's units are its sub-samples (set by lims.publication)
            samples.update(getattr(obj, "unit_ids", ()))
    samples.discard(None)
    tests.discard(None)
    return samples, tests


def _after_flush(session: Session, flush_context) -> None:
    samples, tests = _touched(session)
    if not samples and not tests:
        return
    rows = [{"sample_id": s, "sample_test_id": None} for s in samples]
    rows += [{"sample_id": None, "sample_test_id": t} for t in tests]
    session.connection().execute(sa.insert(StatsDirty), rows)


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


install()
