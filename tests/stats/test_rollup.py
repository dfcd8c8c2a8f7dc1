"""The rollup the figures read follows every change, and equals a rebuild from scratch."""

from __future__ import annotations

import sqlalchemy as sa

from lims.extensions import db
from lims.stats import rollup
from lims.stats.models import StatsDirty, StatsItemCount, StatsTest, StatsUnit
from lims.stats.period import Period
from lims.stats.targets import targets_report

YEAR = Period.year(2026)


def _snapshot() -> tuple[list, list, list]:
    units = [tuple(r) for r in db.session.execute(
        sa.select(*[c for c in StatsUnit.__table__.c]).order_by(StatsUnit.sample_id))]
    tests = [tuple(r) for r in db.session.execute(
        sa.select(*[c for c in StatsTest.__table__.c]).order_by(StatsTest.sample_test_id))]
    items = [tuple(r) for r in db.session.execute(
        sa.select(*[c for c in StatsItemCount.__table__.c]).where(StatsItemCount.required > 0)
        .order_by(*StatsItemCount.__table__.primary_key.columns))]
    return units, tests, items


def _bole():
    return next(r for r in targets_report(YEAR)["counties"] if r["region"] == "博乐市")


def test_a_change_after_a_reading_is_in_the_next_reading(world):
    before = _bole()
    assert (before["supervision_concluded"], before["supervision_failed"]) == (2, 1)
    # S5's lead is tested and approved: it fails
    s5 = world.samples["S5"]
    lead = next(t for t in s5.tests if not t.removed)
    world.result(lead, verdict="fail")
    db.session.commit()
    after = _bole()
    assert (after["supervision_concluded"], after["supervision_failed"]) == (3, 2)
    assert after["samples_tested"] == 3
    assert db.session.scalar(sa.select(sa.func.count(StatsDirty.id))) == 0


def test_a_report_and_a_withdrawal_move_the_published_share(world):
    from lims.reports.models import ReportStatus, TestReport

    assert _bole()["report_units_reported"] == 3
    world.report(world.samples["S2-B"], "2026-03-30")
    db.session.commit()
    assert _bole()["report_units_reported"] == 4
    report = db.session.scalar(sa.select(TestReport).where(
        TestReport.sample_id == world.samples["S1"].id))
    report.status = ReportStatus.WITHDRAWN
    db.session.commit()
    assert _bole()["report_units_reported"] == 3


def test_moving_a_sample_to_another_county_and_month(world):
    from lims.stats.coverage import coverage_report

    jinghe = world.regions["精河县"].id
    before = coverage_report(YEAR, region_id=jinghe)["tested_ratio"]
    s1 = world.samples["S1"]
    s1.business_region_id = jinghe   # corrected at receipt: the business is in 精河县
    db.session.commit()
    after = coverage_report(YEAR, region_id=jinghe)["tested_ratio"]
    assert after["required"] == before["required"] + 2
    assert _bole()["samples_tested"] == 1


def test_incremental_rollup_equals_a_rebuild(world):
    world.result(next(t for t in world.samples["S3"].tests if t.test_item.code == "1-1:苯并[a]芘"),
                 verdict="fail")
    world.samples["S7"].sampled_on = world.samples["S7"].sampled_on.replace(month=9)
    db.session.commit()
    rollup.refresh()
    db.session.commit()
    incremental = _snapshot()
    rollup.rebuild()
    db.session.commit()
    assert _snapshot() == incremental
    # units: every sample carrying an active test — S1, S2-A, S2-B, S3…S8 (S2 carries none,
    # the fish samples have no tests yet)
    assert len(incremental[0]) == 9


def test_a_database_from_before_the_rollup_is_built_on_first_reading(world):
    db.session.execute(sa.delete(StatsUnit))
    db.session.execute(sa.delete(StatsTest))
    db.session.execute(sa.delete(StatsItemCount))
    db.session.execute(sa.delete(StatsDirty))
    db.session.commit()
    assert _bole()["samples_tested"] == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatsUnit)) == 9


def test_rebuild_command(world, app):
    result = app.test_cli_runner().invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "9" in result.output


def test_an_administrator_rebuilds_the_rollup_through_the_job_queue(world, app, client, login,
                                                                     make_user, csrf_from):
    from lims.users.roles import Role

    db.session.execute(sa.delete(StatsUnit))
    db.session.commit()
    make_user("gao", roles=(Role.ADMIN,))
    login("gao")
    token = csrf_from(client.get("/stats/").get_data(as_text=True))
    db.session.execute(sa.delete(StatsUnit))  # the page refreshed it; empty it again
    db.session.commit()
    answer = client.post("/stats/rebuild", data={"csrf_token": token})
    assert answer.status_code == 302
    # inline, or through RQ (run at once under test) when LIMS_REDIS_URL is set
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatsUnit)) == 9
    make_user("zhou", roles=(Role.SUPERVISOR,))
    login("zhou")
    page = client.get("/stats/").get_data(as_text=True)
    assert "/stats/rebuild" not in page  # a supervisor reads the figures, does not rebuild
    token = csrf_from(page)
    assert client.post("/stats/rebuild", data={"csrf_token": token}).status_code == 403
