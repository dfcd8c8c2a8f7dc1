"""The market registry's stall codes, capability editing and withdrawal, the one fitness rule
that routing and coverage share, and the dashboard's definitions."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.foods import services as foods
from lims.users.roles import Role

ON = dt.date(2026, 11, 1)


@pytest.mark.parametrize("written", ["A-1", "a-1", "A－1", "A 1", "A1", "A-001", " a_1 "])
def test_a_stall_written_any_way_is_one_stall(written):
    from lims.stations.stalls import normalise_stall

    assert normalise_stall(written) == "A-1"


def test_distinct_stalls_stay_distinct():
    from lims.stations.stalls import normalise_stall

    assert len({normalise_stall(s) for s in ("A-1", "A-10", "B-1", "A-11", "东区3")}) == 5


def test_demo_markets_get_their_registered_stalls(app, network):
    from lims.stations.models import Market, MarketStall
    from lims.stations.services import load_demo_markets

    load_demo_markets()
    load_demo_markets()  # loading again adds nothing
    db.session.commit()
    counts = dict(db.session.execute(
        sa.select(Market.code, sa.func.count(MarketStall.id))
        .join(MarketStall, MarketStall.market_id == Market.id).group_by(Market.code)).all())
    assert counts["BL-M01"] == 186 and counts["JH-M02"] == 58  # markets.csv stall_count


def test_routing_uses_the_rule_coverage_counts(app, network):
    """阿维菌素, 甲拌磷, 克百威 in 菠菜: the rules do not allow GB 23200.113, which is what
    BL-LAB declares for pesticides in vegetables — so it is neither proposed nor counted."""
    from lims.capabilities.routing import propose_routing
    from lims.stats.coverage import item_table

    spinach = foods.find_subcategory("菠菜")
    items = foods.items_for(spinach)
    proposals = {p.item.analyte_key: p for p in propose_routing(
        network["BL-LAB"].region_id, items, on=ON)}
    table = {row.item_id: row for row in item_table(ON)}
    for key in ("阿维菌素", "甲拌磷", "克百威"):
        item = proposals[key].item
        assert "GB23200.113" not in item.method_standards.replace(" ", "")
        codes = {o.org.code for o in proposals[key].options}
        assert "BL-LAB" not in codes
        assert "BL-LAB" not in table[item.id].labs
    chlorpyrifos = proposals["毒死蜱"]  # the rules allow GB 23200.113 for it
    assert chlorpyrifos.preferred_org.code == "BL-LAB"
    # and for every spinach item: the labs routing offers are the labs coverage counts
    for item in items:
        offered = {o.org.code for o in proposals[item.analyte_key].options}
        counted = set(table[item.id].labs) & {"BL-LAB", "BZ-LAB"}
        assert offered == counted, item.name_zh


def test_a_withdrawn_capability_no_longer_counts_or_routes(app, network, make_user):
    from lims.audit.models import AuditEntry
    from lims.capabilities import services as caps
    from lims.capabilities.models import LabCapability
    from lims.capabilities.routing import propose_routing
    from lims.foods.models import TestItemRecord
    from lims.orgs.services import org_by_code
    from lims.stats.coverage import coverage_report, item_table

    admin = make_user("admin1", roles=(Role.ADMIN,))
    chlorpyrifos = next(i for i in foods.items_for(foods.find_subcategory("菠菜"))
                        if i.analyte_key == "毒死蜱")
    labs_before = {row.item_id: list(row.labs) for row in item_table(ON)}
    assert "BL-LAB" in labs_before[chlorpyrifos.id]
    capability = caps.can_test(network["BL-LAB"], chlorpyrifos, ON)
    with pytest.raises(caps.CapabilityImportError):
        caps.withdraw_capability(capability, admin, "  ")
    caps.withdraw_capability(capability, admin, "仪器报废，能力暂停")
    db.session.commit()
    labs_after = {row.item_id: list(row.labs) for row in item_table(ON)}
    assert "BL-LAB" not in labs_after[chlorpyrifos.id]
    assert set(labs_after[chlorpyrifos.id]) == set(labs_before[chlorpyrifos.id]) - {"BL-LAB"}
    proposals = propose_routing(network["BL-LAB"].region_id, [chlorpyrifos], on=ON)
    assert "BL-LAB" not in {o.org.code for o in proposals[0].options}
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.table_name == "lab_capability",
        AuditEntry.record_id == str(capability.id)).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and "仪器报废" in (entry.reason or "")
    assert capability.withdrawn_by_id == admin.id and capability.active is False
    with pytest.raises(caps.CapabilityImportError, match="已撤销"):
        caps.edit_capability(capability, admin, {"loq": "0.001"}, "复核")

    # coverage goes down: an item only one lab covers, that lab's capability withdrawn
    before = coverage_report(on=ON)
    item_id, only = next((i, labs[0]) for i, labs in labs_after.items() if len(labs) == 1)
    item = db.session.get(TestItemRecord, item_id)
    sole = caps.can_test(org_by_code(only), item, ON)
    # the items only that lab covers: those the withdrawn capability served are lost
    alone = [i for i, labs in labs_after.items() if labs == [only]]
    caps.withdraw_capability(sole, admin, "能力验证不合格")
    db.session.commit()
    after_table = {row.item_id: list(row.labs) for row in item_table(ON)}
    lost = [i for i in alone if not after_table[i]]
    assert item_id in lost
    after = coverage_report(on=ON)
    assert after["covered"] == before["covered"] - len(lost)
    assert after["rate"] < before["rate"]
    others = db.session.scalars(sa.select(LabCapability).where(
        LabCapability.active.is_(True))).all()
    assert sole not in others


def test_editing_a_capability_moves_coverage(app, network, make_user):
    from lims.capabilities import services as caps
    from lims.stats.coverage import item_table

    admin = make_user("admin2", roles=(Role.ADMIN,))
    chlorpyrifos = next(i for i in foods.items_for(foods.find_subcategory("菠菜"))
                        if i.analyte_key == "毒死蜱")
    capability = caps.can_test(network["BL-LAB"], chlorpyrifos, ON)
    with pytest.raises(caps.CapabilityImportError, match="不是数值"):
        caps.edit_capability(capability, admin, {"loq": "abc"}, "复核")
    changed = caps.edit_capability(capability, admin, {"loq": "50"}, "定量限复核结果")
    db.session.commit()
    assert changed == ["loq"]
    row = next(r for r in item_table(ON) if r.item_id == chlorpyrifos.id)
    assert "BL-LAB" not in row.labs  # LOQ 50 mg/kg is above any limit for it


def test_capability_pages_withdraw_with_a_reason(app, client, network, make_user, login,
                                                 csrf_from):
    from lims.capabilities.models import LabCapability

    make_user("admin3", roles=(Role.ADMIN,))
    login("admin3")
    page = client.get("/capabilities/?org=BL-LAB").get_data(as_text=True)
    capability = db.session.scalars(sa.select(LabCapability).where(
        LabCapability.org_id == network["BL-LAB"].id)).first()
    refused = client.post(f"/capabilities/{capability.id}/withdraw",
                          data={"csrf_token": csrf_from(page), "reason": ""},
                          follow_redirects=True)
    assert "须说明原因" in refused.get_data(as_text=True)
    done = client.post(f"/capabilities/{capability.id}/withdraw",
                       data={"csrf_token": csrf_from(page), "reason": "人员离岗"},
                       follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "已撤销" in html and "人员离岗" in html


def test_dashboard_explains_each_figure(app, client, network, make_user, login):
    from lims.stats.definitions import FIGURES

    make_user("zhou", roles=(Role.SUPERVISOR,))
    login("zhou")
    html = client.get("/stats/?year=2026").get_data(as_text=True)
    for key in ("samples_per_1000", "published_rate", "rapid_testing_rate",
                "confirmation_rate", "qualified_rate"):
        label = FIGURES[key].label
        assert f'title="{label}：' in html, key
    assert "抽检结果公告率" in html and "监督抽检" in html


def test_stalls_are_registered_and_withdrawn_from_the_command_line(app, network):
    from lims.stations.models import Market
    from lims.stations.stalls import registered_count

    runner = app.test_cli_runner()
    assert runner.invoke(args=["stations", "markets", "--load-demo"]).exit_code == 0
    market = db.session.scalar(sa.select(Market).where(Market.code == "JH-M02"))
    before = registered_count([market.id])
    added = runner.invoke(args=["stations", "stalls", "JH-M02", "--add", "东区 1",
                                "--add", "东区-1", "--add", "A-1"])
    assert added.exit_code == 0, added.output
    assert registered_count([market.id]) == before + 1  # 东区 1 = 东区-1; A-1 was there
    gone = runner.invoke(args=["stations", "stalls", "JH-M02", "--withdraw", "a 1"])
    assert gone.exit_code == 0 and registered_count([market.id]) == before
    unknown = runner.invoke(args=["stations", "stalls", "JH-M02", "--withdraw", "Z-99"])
    assert unknown.exit_code != 0 and "摊位未登记" in unknown.output


def test_the_publication_page_refuses_and_publishes(app, client, network, make_user, login,
                                                    csrf_from):
    make_user("zhao", roles=(Role.SIGNATORY,))
    login("zhao")
    page = client.get("/publication/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    refused = client.post("/publication/", data={"csrf_token": csrf_from(html),
                                                 "samples": "NO-SUCH-1"},
                          follow_redirects=True)
    assert "样品 NO-SUCH-1 不存在" in refused.get_data(as_text=True)
    assert client.get("/public/notices/").status_code == 200  # public, no login needed
    make_user("wang2", roles=(Role.TECHNICIAN,))
    login("wang2")
    assert client.get("/publication/").status_code == 403
