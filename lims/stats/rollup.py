"""Keeping the statistics rollup (lims.stats.models) up to date.

(lims.stats.models marks the samples and tests each flush touched.)
``refresh``: recomputes the marked report units and the item-months they fall in (set-based
INSERT … SELECT, the same aggregate as ``rebuild``).  ``rebuild``: everything, from scratch.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from lims.extensions import db
from lims.stats.models import StatsDirty, StatsItemCount, StatsTest, StatsUnit

RESIDUE_CLASSES = ("pesticide", "veterinary_drug")
RESIDUE_FAMILIES = ("GB 2763", "GB 31650", "农业农村部公告第250号")
_LOCK_KEY = 7_170_008


# --- the aggregate ------------------------------------------------------------------------

def _residue_items():
    from lims.foods.models import TestItemRecord

    return sa.select(TestItemRecord.id).where(sa.or_(
        TestItemRecord.analyte_class.in_(RESIDUE_CLASSES),
        *[TestItemRecord.basis_family.contains(f) for f in RESIDUE_FAMILIES]))


def _unit_select(only: list[int] | None = None) -> sa.Select:
    """One row per report unit (of the samples ``only``, or all)."""
    from lims.reports.models import ReportStatus, TestReport
    from lims.results.models import ResultStatus, TestResult
    from lims.samples.models import Sample, SampleTest

    approved = TestResult.status == ResultStatus.APPROVED
    residue = SampleTest.test_item_id.in_(_residue_items())
    tests = (sa.select(
        SampleTest.sample_id.label("sample_id"),
        sa.func.count(SampleTest.id).label("n_tests"),
        sa.func.count(TestResult.id).label("n_results"),
        sa.func.coalesce(sa.func.sum(sa.case((approved, 1), else_=0)), 0).label("n_approved"),
        sa.func.max(sa.case((sa.and_(approved, residue), 1), else_=0)).label("residue"),
        sa.func.max(sa.case((sa.and_(approved, TestResult.verdict == "fail"), 1), else_=0))
        .label("failed"))
        .select_from(SampleTest)
        .outerjoin(TestResult, TestResult.sample_test_id == SampleTest.id)
        .where(SampleTest.removed.is_(False))
        .group_by(SampleTest.sample_id))
    reports = (sa.select(
        TestReport.sample_id.label("sample_id"),
        sa.func.min(sa.case((TestReport.revision == 0, TestReport.issued_at))).label("first"),
        sa.func.max(sa.case((TestReport.status.in_([ReportStatus.ISSUED,
                                                    ReportStatus.SUPERSEDED]), 1), else_=0))
        .label("reported"))
        .group_by(TestReport.sample_id))
    if only is not None:
        tests = tests.where(SampleTest.sample_id.in_(only))
        reports = reports.where(TestReport.sample_id.in_(only))
    tests, reports = tests.subquery("t"), reports.subquery("r")
    root = sa.orm.aliased(Sample)
    return (sa.select(
        tests.c.sample_id, root.id,
        Sample.business_region_id, Sample.task_type, Sample.category_code, Sample.food_name,
        Sample.sampled_on, sa.cast(sa.extract("year", Sample.sampled_on), sa.Integer),
        sa.cast(sa.extract("month", Sample.sampled_on), sa.Integer), Sample.received_at,
        tests.c.n_tests, tests.c.n_results, tests.c.n_approved, tests.c.residue,
        tests.c.failed, sa.func.coalesce(reports.c.reported, 0), reports.c.first,
        sa.case((_published(root.id), 1), else_=0), Sample.subcategory_id)
        .select_from(tests).join(Sample, Sample.id == tests.c.sample_id)
        .join(root, root.id == sa.func.coalesce(Sample.parent_id, Sample.id))
        .outerjoin(reports, reports.c.sample_id == tests.c.sample_id)
        .where(*_not_cancelled(Sample, root), *_food_only(Sample)))


def _food_only(sample) -> list:
    """The food figures count food samples: a medicine (大类 YP, lims.drugs) is counted by the
    drug figures (lims.drugs.figures), never in the food per-1,000 or qualified rates."""
    from lims.drugs.services import DRUG_CATEGORY_CODE

    return [sa.or_(sample.category_code.is_(None), sample.category_code != DRUG_CATEGORY_CODE)]


def _not_cancelled(sample, root) -> list:
    """Cancelled samples count nowhere (lims.stats.definitions): neither the sample nor
    the root it was split from may be cancelled."""
    from lims.samples.lifecycle import SampleStatus

    return [sample.status != SampleStatus.CANCELLED, root.status != SampleStatus.CANCELLED]


def _published(root_id) -> sa.ColumnElement[bool]:
    """The root sample is on a 食品安全监督抽检信息公告 (any notice; a sample published
    again in a correction still counts once)."""
    from lims.publication.models import PublicNoticeEntry

    return sa.exists().where(PublicNoticeEntry.sample_id == root_id)


_UNIT_COLUMNS = ["sample_id", "root_id", "region_id", "task_type", "category_code",
                 "food_name", "sampled_on", "year", "month", "received_at", "n_tests",
                 "n_results", "n_approved", "residue", "failed", "reported", "first_report_at",
                 "published", "subcategory_id"]


def _test_select(only: list[int] | None = None) -> sa.Select:
    """The active tests (of the samples ``only``, or all) with their county and month."""
    from lims.results.models import ResultStatus, TestResult
    from lims.samples.models import Sample, SampleTest

    approved = TestResult.status == ResultStatus.APPROVED
    failed = sa.and_(approved, TestResult.verdict == "fail")
    root = sa.orm.aliased(Sample)
    query = (sa.select(SampleTest.id, SampleTest.sample_id, SampleTest.test_item_id,
                       Sample.business_region_id,
                       sa.cast(sa.extract("year", Sample.sampled_on), sa.Integer),
                       sa.cast(sa.extract("month", Sample.sampled_on), sa.Integer),
                       sa.case((approved, 1), else_=0),
                       sa.case((failed, 1), else_=0))
             .select_from(SampleTest).join(Sample, Sample.id == SampleTest.sample_id)
             .join(root, root.id == sa.func.coalesce(Sample.parent_id, Sample.id))
             .outerjoin(TestResult, TestResult.sample_test_id == SampleTest.id)
             .where(SampleTest.removed.is_(False), *_not_cancelled(Sample, root)))
    if only is not None:
        query = query.where(SampleTest.sample_id.in_(only))
    return query


_TEST_COLUMNS = ["sample_test_id", "sample_id", "test_item_id", "region_id", "year", "month",
                 "tested", "failed"]


def _cells(part: list[tuple[int, int, int, int]]):
    """(county, year, month, item) cells as a VALUES list to join: a long row-IN list is
    planned as one OR branch per cell."""
    return sa.values(sa.column("r", sa.Integer), sa.column("y", sa.Integer),
                     sa.column("m", sa.Integer), sa.column("i", sa.Integer),
                     name="cells").data(part)


def _item_select(cells=None) -> sa.Select:
    """Per (item, county, month) cell: tests needed, with a result, approved and failed."""
    t = StatsTest
    query = (sa.select(t.test_item_id, t.region_id, t.year, t.month, sa.func.count(),
                       sa.func.sum(t.tested), sa.func.sum(t.failed))
             .group_by(t.test_item_id, t.region_id, t.year, t.month))
    if cells is not None:
        query = query.join(cells, sa.and_(t.region_id == cells.c.r, t.year == cells.c.y,
                                          t.month == cells.c.m, t.test_item_id == cells.c.i))
    return query


_ITEM_COLUMNS = ["test_item_id", "region_id", "year", "month", "required", "tested", "failed"]


def _lock() -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def rebuild() -> int:
    """Recompute the whole rollup; returns the number of report units."""
    _lock()
    db.session.execute(sa.delete(StatsDirty))
    db.session.execute(sa.delete(StatsUnit))
    db.session.execute(sa.delete(StatsTest))
    db.session.execute(sa.delete(StatsItemCount))
    db.session.execute(sa.insert(StatsUnit).from_select(_UNIT_COLUMNS, _unit_select()))
    db.session.execute(sa.insert(StatsTest).from_select(_TEST_COLUMNS, _test_select()))
    db.session.execute(sa.insert(StatsItemCount).from_select(_ITEM_COLUMNS, _item_select()))
    return db.session.scalar(sa.select(sa.func.count()).select_from(StatsUnit))


def rebuild_job() -> int:
    """The full rebuild as a background job (lims.core.jobs commits when it returns)."""
    return rebuild()


def prepare() -> None:
    """Before the figures: analytic settings for this transaction, the rollup up to date."""
    if db.engine.dialect.name == "postgresql":
        # Grouping 200,000 units spills to disk at the default 4 MB; JIT compiling costs
        # more than these short aggregate queries take.
        db.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(sa.text("SET LOCAL jit = off"))
    if _never_built():
        rebuild()
    else:
        refresh()


def _never_built() -> bool:
    """Samples with tests but an empty rollup: a database from before the rollup existed
    (or loaded in bulk).  Two one-row probes."""
    from lims.samples.models import SampleTest

    if db.session.scalar(sa.select(StatsUnit.sample_id).limit(1)) is not None:
        return False
    return db.session.scalar(sa.select(SampleTest.id).where(SampleTest.removed.is_(False))
                             .limit(1)) is not None


def refresh() -> int:
    """Bring the marked units up to date; returns how many samples were marked."""
    from lims.samples.models import SampleTest

    top = db.session.scalar(sa.select(sa.func.max(StatsDirty.id)))
    if top is None:
        return 0
    _lock()
    top = db.session.scalar(sa.select(sa.func.max(StatsDirty.id)))
    if top is None:  # another request did it while we waited
        return 0
    marked = sa.select(StatsDirty.sample_id).where(StatsDirty.id <= top,
                                                  StatsDirty.sample_id.is_not(None))
    via_tests = (sa.select(SampleTest.sample_id)
                 .join(StatsDirty, StatsDirty.sample_test_id == SampleTest.id)
                 .where(StatsDirty.id <= top))
    affected = sorted(set(db.session.scalars(marked.union(via_tests))))
    cell = (StatsTest.region_id, StatsTest.year, StatsTest.month, StatsTest.test_item_id)
    cells: set[tuple[int, int, int, int]] = set()
    for chunk in _chunks(affected, 500):
        # the cells the samples counted in before and count in now
        cells.update(db.session.execute(
            sa.select(*cell).where(StatsTest.sample_id.in_(chunk)).distinct()).tuples())
        db.session.execute(sa.delete(StatsUnit).where(StatsUnit.sample_id.in_(chunk)))
        db.session.execute(sa.delete(StatsTest).where(StatsTest.sample_id.in_(chunk)))
        db.session.execute(sa.insert(StatsUnit).from_select(_UNIT_COLUMNS,
                                                            _unit_select(chunk)))
        db.session.execute(sa.insert(StatsTest).from_select(_TEST_COLUMNS,
                                                            _test_select(chunk)))
        cells.update(db.session.execute(
            sa.select(*cell).where(StatsTest.sample_id.in_(chunk)).distinct()).tuples())
    ordered = sorted(cells)
    c = StatsItemCount
    for part in _chunks(ordered, 500):
        if db.engine.dialect.name == "postgresql":
            cells = _cells(part)
            doomed = sa.exists().where(c.region_id == cells.c.r, c.year == cells.c.y,
                                       c.month == cells.c.m, c.test_item_id == cells.c.i)
            fresh = _item_select(_cells(part))
        else:  # SQLite has no column list on a VALUES alias; its row-value IN is indexed
            doomed = sa.tuple_(c.region_id, c.year, c.month, c.test_item_id).in_(part)
            fresh = _item_select().where(sa.tuple_(
                StatsTest.region_id, StatsTest.year, StatsTest.month,
                StatsTest.test_item_id).in_(part))
        db.session.execute(sa.delete(c).where(doomed))
        db.session.execute(sa.insert(c).from_select(_ITEM_COLUMNS, fresh))
    db.session.execute(sa.delete(StatsDirty).where(StatsDirty.id <= top))
    return len(affected)


def _chunks(values: list[int], size: int):
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- reading ------------------------------------------------------------------------------

def month_aligned(period) -> bool:
    """Whole months: the item-month rollup answers; otherwise the live tables do."""
    return period.start.day == 1 and (period.end + dt.timedelta(days=1)).day == 1


def item_counts(period, region_id: int | None = None) -> dict[int, tuple[int, int, int]]:
    """test item id -> (tests needed, tests with a result, approved results that failed)
    for the samples of the period."""
    if month_aligned(period):
        first = period.start.year * 100 + period.start.month
        last = period.end.year * 100 + period.end.month
        key = StatsItemCount.year * 100 + StatsItemCount.month
        query = (sa.select(StatsItemCount.test_item_id, sa.func.sum(StatsItemCount.required),
                           sa.func.sum(StatsItemCount.tested), sa.func.sum(StatsItemCount.failed))
                 .where(key.between(first, last)).group_by(StatsItemCount.test_item_id))
        if region_id is not None:
            query = query.where(StatsItemCount.region_id == region_id)
    else:
        # part of a month: the tests of the units sampled in the period
        t = StatsTest
        query = (sa.select(t.test_item_id, sa.func.count(), sa.func.sum(t.tested),
                           sa.func.sum(t.failed))
                 .join(StatsUnit, StatsUnit.sample_id == t.sample_id)
                 .where(StatsUnit.sampled_on.between(period.start, period.end))
                 .group_by(t.test_item_id))
        if region_id is not None:
            query = query.where(t.region_id == region_id)
    return {item: (int(r), int(t), int(f)) for item, r, t, f in db.session.execute(query)}
