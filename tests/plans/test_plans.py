"""Plans in the database: built from the reference world, versioned, reviewed, assigned,
received against, exported."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.plans import services
from lims.plans.models import PlanState, PlanTask, PlanTaskSample, TaskState
from tests.risk_world import county, make_sample


@pytest.fixture
def varieties(app):
    services.load_county_varieties()
    db.session.commit()


def _per_county(plan):
    sums: dict[str, list[int]] = {}
    for t in plan.tasks:
        acc = sums.setdefault(t.region.name, [0, 0, 0])
        acc[0] += t.count
        acc[1] += t.count if t.residue else 0
    return sums


def test_plan_meets_targets_and_is_stable(app, admin, varieties):
    plan = services.build_plan(2027, admin)
    db.session.commit()
    sums = _per_county(plan)
    # ⌈4p/1000⌉ and ⌈2p/1000⌉ with the shipped populations, by hand (see test_builder)
    assert sums["博乐市"][0] == 1125 and sums["博乐市"][1] >= 563
    assert sums["阿拉山口市"][0] == 80 and sums["阿拉山口市"][1] >= 34   # 4 varieties × 20
    assert sums["精河县"][0] == 519 and sums["精河县"][1] >= 260
    assert sums["温泉县"][0] == 243 and sums["温泉县"][1] >= 122
    per_variety: dict[tuple[str, str], int] = {}
    for t in plan.tasks:
        key = (t.region.name, t.variety)
        per_variety[key] = per_variety.get(key, 0) + t.count
        assert t.items  # the test items of the 细类 table
        assert t.org is not None
    assert min(per_variety.values()) >= 20
    # wheat flour has no residue item in the rules: prefecture tier; spinach: county lab
    flour = next(t for t in plan.tasks if t.variety == "小麦粉")
    spinach = next(t for t in plan.tasks if t.variety == "菠菜" and t.region.name == "博乐市")
    assert (flour.tier, flour.org.code, flour.residue) == ("prefecture", "BZ-LAB", False)
    assert (spinach.tier, spinach.org.code, spinach.residue) == ("county", "BL-LAB", True)
    # same inputs → the same version, not a new one
    assert services.build_plan(2027, admin).id == plan.id


def test_a_risen_failure_rate_gives_a_new_version_with_more_samples(app, admin, varieties):
    first = services.build_plan(2027, admin)
    db.session.commit()
    before = sum(t.count for t in first.tasks if t.variety == "韭菜" and
                 t.region.name == "博乐市")
    for i in range(10):
        make_sample(admin, day=dt.date(2026, 6, 1 + i), county_name="博乐市", variety="韭菜",
                    fail=("腐霉利",) if i < 6 else ())
    db.session.commit()
    second = services.build_plan(2027, admin)
    db.session.commit()
    assert second.version == first.version + 1
    after = sum(t.count for t in second.tasks if t.variety == "韭菜" and
                t.region.name == "博乐市")
    assert after > before
    assert _per_county(second)["博乐市"][0] == 1125


def test_review_assign_receive_export(app, admin, signatory, varieties, client, login,
                                      csrf_from):
    plan = services.build_plan(2027, admin)
    db.session.commit()
    with pytest.raises(services.PlanServiceError, match="编制人以外"):
        services.approve_plan(plan, admin)
    with pytest.raises(services.PlanServiceError, match="审核生效后"):
        services.assign_month(plan, 3)
    login("risk_sign")
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    token = csrf_from(page)
    client.post(f"/plans/{plan.id}/approve", data={"note": "同意", "csrf_token": token})
    db.session.expire_all()
    assert plan.state == PlanState.APPROVED and plan.reviewed_by_id == signatory.id
    client.post(f"/plans/{plan.id}/assign", data={"month": "3", "csrf_token": token})
    db.session.expire_all()
    march = [t for t in plan.tasks if t.month == 3]
    assert march and all(t.state == TaskState.ASSIGNED for t in march)
    assert all(t.state == TaskState.PLANNED for t in plan.tasks if t.month == 4)
    # receipt against a task (the receipt page sends the task id)
    task = next(t for t in march if t.region.name == "博乐市" and t.variety == "菠菜")
    sample = make_sample(admin, day=dt.date(2027, 3, 5), county_name="博乐市", variety="菠菜")
    services.on_sample_received(sample, form={"plan_task": str(task.id)})
    db.session.commit()
    assert db.session.scalar(sa.select(PlanTaskSample.task_id).where(
        PlanTaskSample.sample_id == sample.id)) == task.id
    rows = {(r["region"], r["month"]): r for r in services.progress(plan)}
    assert rows[("博乐市", 3)]["received"] == 1
    assert rows[("博乐市", 3)]["planned"] == sum(t.count for t in march
                                                if t.region.name == "博乐市")
    # a task of another county is refused, in the receipt's own error type
    from lims.samples.services import SampleError

    other = next(t for t in march if t.region.name == "精河县")
    with pytest.raises(SampleError, match="县市与任务不一致"):
        services.on_sample_received(make_sample(admin, day=dt.date(2027, 3, 5),
                                                county_name="博乐市", variety="菠菜"),
                                    form={"plan_task": str(other.id)})
    with pytest.raises(SampleError, match="没有该抽检任务"):
        services.on_sample_received(sample, form={"plan_task": "x1"})
    # export: one sheet per county, the total row equals the county's planned samples
    from openpyxl import load_workbook

    data = client.get(f"/plans/{plan.id}/export.xlsx").data
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["博乐市", "阿拉山口市", "精河县", "温泉县"]
    sheet = book["博乐市"]
    assert [c.value for c in sheet[2]] == services.EXPORT_HEADER
    last = list(sheet.iter_rows(values_only=True))[-1]
    assert last[0] == "合计" and last[4] == 1125


def test_dashboard_shows_progress(app, admin, signatory, varieties, client, login):
    plan = services.build_plan(dt.date.today().year, admin)
    services.approve_plan(plan, signatory)
    db.session.commit()
    login("risk_sign")
    page = client.get("/stats/").get_data(as_text=True)
    assert 'id="plan-progress"' in page and f"v{plan.version}" in page


def test_variety_list_is_editable(app, admin, varieties, client, login, csrf_from):
    login("risk_admin")
    page = client.get("/plans/varieties").get_data(as_text=True)
    assert "未核实" in page
    token = csrf_from(page)
    region = county("温泉县")
    client.post("/plans/varieties", data={"region": region.id, "variety": "苹果",
                                          "csrf_token": token})
    assert "苹果" in [v.variety for v in services.varieties_of(region)]
    response = client.post("/plans/varieties", data={"region": region.id,
                                                     "variety": "不存在的菜",
                                                     "csrf_token": token}, follow_redirects=True)
    assert "抽检细则中没有该细类" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PlanTask.id))) == 0


def test_a_lab_sees_its_assigned_tasks(app, admin, signatory, varieties, make_user, client,
                                       login):
    from lims.users.roles import Role

    today = dt.date.today()
    plan = services.build_plan(today.year, admin)
    services.approve_plan(plan, signatory)
    services.assign_month(plan, today.month)
    db.session.commit()
    make_user("bl_rec", org_code="BL-LAB", roles=(Role.RECEIVER,))
    login("bl_rec")
    page = client.get("/plans/tasks").get_data(as_text=True)
    mine = [t for t in plan.tasks if t.month == today.month and t.org.code == "BL-LAB"]
    others = [t for t in plan.tasks if t.month == today.month and t.org.code != "BL-LAB"]
    assert mine and others
    assert all(f'data-task="{t.id}"' in page for t in mine)
    assert not any(f'data-task="{t.id}"' in page for t in others)
    assert f"plan_task={mine[0].id}" in page
