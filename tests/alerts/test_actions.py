"""Alert states, owner, audit, targeted tasks, API, outside notices."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from lims.alerts import services
from lims.alerts.models import Alert, AlertKind, AlertState, NoticeImport, NoticeRow
from lims.extensions import db
from lims.plans import services as plans
from lims.plans.models import PlanTask
from tests.risk_world import make_sample

TODAY = dt.date(2026, 9, 30)


@pytest.fixture
def failing(app, admin):
    make_sample(admin, day=TODAY, county_name="精河县", variety="韭菜", tested=("腐霉利",),
                fail=("腐霉利",), business="精河县某摊位", producer="新疆某农业合作社")
    db.session.commit()
    new = services.run(TODAY)
    db.session.commit()
    return next(a for a in new if a.kind == AlertKind.NEW_FAILURE)


@pytest.fixture
def approved_plan(app, admin, signatory):
    plans.load_county_varieties()
    plan = plans.build_plan(2026, admin)
    plans.approve_plan(plan, signatory)
    db.session.commit()
    return plan


def test_states_owner_and_audit(app, admin, failing, client, login, csrf_from):
    from lims.audit.models import AuditEntry

    alert = failing
    login("risk_admin")
    page = client.get(f"/alerts/{alert.id}").get_data(as_text=True)
    assert "韭菜首次出现“腐霉利”不合格" in page
    token = csrf_from(page)
    client.post(f"/alerts/{alert.id}/acknowledge", data={"csrf_token": token})
    db.session.expire_all()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.owner_id == admin.id
    response = client.post(f"/alerts/{alert.id}/close", data={"note": "", "csrf_token": token},
                           follow_redirects=True)
    assert "关闭预警须填写处理说明" in response.get_data(as_text=True)
    db.session.expire_all()
    assert alert.state == AlertState.ACKNOWLEDGED
    client.post(f"/alerts/{alert.id}/close", data={"note": "已责令下架并复检",
                                                   "csrf_token": token})
    db.session.expire_all()
    assert alert.state == AlertState.CLOSED and alert.close_note == "已责令下架并复检"
    states = list(db.session.scalars(sa.select(AuditEntry.new_value).where(
        AuditEntry.table_name == "alert", AuditEntry.record_id == str(alert.id),
        AuditEntry.field == "state").order_by(AuditEntry.id)))
    assert states[-2:] == ["acknowledged", "closed"]
    assert db.session.scalar(sa.select(AuditEntry.reason).where(
        AuditEntry.table_name == "alert", AuditEntry.field == "state",
        AuditEntry.new_value == "closed")) == "已责令下架并复检"


def test_one_action_turns_an_alert_into_targeted_tasks(app, admin, failing, approved_plan,
                                                       client, login, csrf_from):
    with pytest.raises(services.AlertError, match="2027年没有已审核生效"):
        services.to_targeted_tasks(failing, admin, today=dt.date(2026, 12, 5))
    tasks = services.to_targeted_tasks(failing, admin, today=TODAY)
    db.session.commit()
    # a county alert → one task in that county, next month (October), items of the alert
    assert [(t.region.name, t.month, t.variety, t.items, t.targeted, t.plan_id)
            for t in tasks] == [("精河县", 10, "韭菜", "腐霉利", True, approved_plan.id)]
    assert failing.state == AlertState.ACKNOWLEDGED
    with pytest.raises(services.AlertError, match="已转为"):
        services.to_targeted_tasks(failing, admin, today=TODAY)
    login("risk_admin")
    page = client.get(f"/alerts/{failing.id}").get_data(as_text=True)
    assert f"/plans/tasks/{tasks[0].id}" in page
    october = client.get(f"/plans/{approved_plan.id}?month=10").get_data(as_text=True)
    assert "靶向" in october or "Targeted" in october


def test_api_and_openapi(app, admin, failing, client, token_for):
    headers = token_for(admin)
    body = client.get("/api/v1/alerts", headers=headers).get_json()
    ids = [a["id"] for a in body["alerts"]]
    assert failing.id in ids
    one = client.get(f"/api/v1/alerts/{failing.id}", headers=headers).get_json()
    assert one["kind"] == "new_failure" and one["state"] == "open"
    assert one["evidence"][0]["type"] == "sample"
    assert client.get("/api/v1/alerts?state=bogus", headers=headers).status_code == 422
    assert client.get("/api/v1/alerts/999999", headers=headers).status_code == 404
    assert client.get("/api/v1/alerts").status_code == 401
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/alerts" in doc["paths"] and "AlertOut" in doc["components"]["schemas"]


HEADER = ("序号,标称生产企业名称,标称生产企业地址,被抽样单位名称,被抽样单位地址,食品名称,规格型号,"
          "生产日期/批号,不合格项目║检验结果║标准值,分类,公告号\n")


def test_notice_import_refused_whole_listing_each_bad_row(app, admin):
    content = (HEADER
               + "1,新疆某农业合作社,新疆某地,某超市,乌鲁木齐,韭菜,散装,2026-09-01,"
                 "腐霉利║0.8mg/kg║≤0.2mg/kg,蔬菜,2026年第12期\n"
               + "2,,某地,某店,某地,菠菜,散装,2026-09-02,毒死蜱║0.3║≤0.02,蔬菜,2026年第12期\n"
               + "3,某厂,某地,某店,某地,饼干,500g,2026-08-01,菌落总数 超标,饼干,2026年第12期\n"
               ).encode()
    with pytest.raises(services.ImportRefused) as refused:
        services.import_notice(content, "notice.csv", admin)
    lines = [str(e) for e in refused.value.errors]
    assert lines == ["第 3 行：“标称生产企业名称”为空",
                     "第 4 行：不合格项目应写作“项目║检验结果║标准值”：菌落总数 超标"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(NoticeRow.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(NoticeImport.id))) == 0


def test_notice_about_a_supplier_raises_an_alert(app, admin, failing, client, login,
                                                  csrf_from):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append([1, "新疆某农业合作社", "新疆某地", "某超市", "乌鲁木齐", "韭菜", "散装",
                  "2026-09-01", "腐霉利║0.8mg/kg║≤0.2mg/kg\n毒死蜱║0.1mg/kg║≤0.02mg/kg", "蔬菜",
                  "2026年第12期"])
    sheet.append([2, "外省某食品厂", "外省", "某店", "外省", "饼干", "500g", "2026-08-01",
                  "菌落总数║1.2×10⁵CFU/g║≤10⁴CFU/g", "饼干", "2026年第12期"])
    out = io.BytesIO()
    book.save(out)
    login("risk_admin")
    page = client.get("/alerts/notices").get_data(as_text=True)
    response = client.post("/alerts/notices", data={
        "csrf_token": csrf_from(page), "file": (io.BytesIO(out.getvalue()), "公告.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    rows = list(db.session.scalars(sa.select(NoticeRow).order_by(NoticeRow.id)))
    assert [(r.producer_name, r.item) for r in rows] == [
        ("新疆某农业合作社", "腐霉利"), ("新疆某农业合作社", "毒死蜱"), ("外省某食品厂", "菌落总数")]
    outside = list(db.session.scalars(sa.select(Alert).where(
        Alert.kind == AlertKind.OUTSIDE_NOTICE)))
    # the cooperative supplies this prefecture (it produced the failing sample); the other
    # producer does not: two alerts, one per failing item of the cooperative's product
    assert len(outside) == 2 and {a.business.name for a in outside} == {"新疆某农业合作社"}
    # the same file again is refused
    again = client.post("/alerts/notices", data={
        "csrf_token": csrf_from(page), "file": (io.BytesIO(out.getvalue()), "公告.xlsx")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "该文件已导入过" in again.get_data(as_text=True)


def test_dashboard_section(app, admin, failing, client, login):
    login("risk_admin")
    page = client.get("/stats/").get_data(as_text=True)
    assert 'id="alert-summary"' in page
    assert db.session.scalar(sa.select(sa.func.count(PlanTask.id))) == 0
