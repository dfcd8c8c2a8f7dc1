"""Business records: credit code check, matching at receipt, reviewed merges, tracing."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from lims.businesses.credit_code import check_character, credit_code_error
from lims.businesses.models import Business, BusinessMergeProposal, MergeState
from lims.businesses.services import match_business, normalise_name
from lims.extensions import db
from tests.risk_world import county, make_sample

VALID = "91350100M000100Y43"


def test_credit_code_check_character_by_hand():
    # GB 32100-2015: values 9,1,3,5,0,1,0,0,M=21,0,0,0,1,0,0,Y=30,4 times the weights
    # 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28:
    # 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640; 1640 mod 31 = 28; 31-28 = 3
    assert check_character(VALID[:17]) == "3"
    assert credit_code_error(VALID) is None
    assert "校验位" in credit_code_error(VALID[:17] + "4")
    assert "18位" in credit_code_error("9135")
    assert "无效字符" in credit_code_error("91350100I000100Y43")


def test_normalised_names():
    assert normalise_name("博乐市 某某食品有限责任公司") == normalise_name("博乐市某某食品（有限公司）")
    assert normalise_name("ＡＢＣ超市") == "abc超市"


def test_receipt_links_the_business_and_proposes_instead_of_merging(app, admin, receiver,
                                                                     receipt):
    from lims.samples.services import register_sample

    first = register_sample(receipt(business_licence=VALID), receiver)
    # risk monitoring needs no licence number: this one was sampled without it
    second = register_sample(receipt(business_name="博乐市农贸市场12号摊位",
                                     task_type="risk_monitoring", business_licence="",
                                     sampling_base=""), receiver)
    db.session.commit()
    # same normalised name and county, no contradicting code → the same record
    assert first.business_id == second.business_id
    assert first.business.credit_code == VALID
    # producer linked as its own record
    assert first.producer_business.name == "精河县某合作社"
    assert first.producer_business_id == second.producer_business_id
    # same name, another valid credit code → a new record and a proposal, not a merge
    other = "91652701MA7XXXXX0"
    other = other[:17] + check_character(other[:17])
    third = register_sample(receipt(business_licence=other), receiver)
    db.session.commit()
    assert third.business_id != first.business_id
    proposal = db.session.scalar(sa.select(BusinessMergeProposal))
    assert (proposal.source_id, proposal.target_id) == (third.business_id, first.business_id)
    assert proposal.state == MergeState.PROPOSED


def test_merge_is_reviewed_and_audited(app, admin, receiver, receipt, client, login,
                                       csrf_from):
    from lims.audit.models import AuditEntry
    from lims.samples.services import register_sample

    a = register_sample(receipt(business_name="温泉县某超市"), receiver)
    b = register_sample(receipt(business_name="温泉县某超市（城南店）"), receiver)
    db.session.commit()
    proposal = db.session.scalar(sa.select(BusinessMergeProposal))
    assert proposal.reason == "名称相互包含"
    login("risk_admin")
    page = client.get("/businesses/")
    assert "温泉县某超市" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    # a merge without a note is refused, nothing changes
    client.post(f"/businesses/proposals/{proposal.id}", data={"action": "merge", "note": "",
                                                              "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(BusinessMergeProposal, proposal.id).state == MergeState.PROPOSED
    response = client.post(f"/businesses/proposals/{proposal.id}",
                           data={"action": "merge", "note": "同一营业执照，分店名称",
                                 "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    a, b = db.session.merge(a), db.session.merge(b)
    assert a.business_id == b.business_id == proposal.target_id
    assert db.session.get(Business, proposal.source_id).merged_into_id == proposal.target_id
    reasons = set(db.session.scalars(sa.select(AuditEntry.reason).where(
        AuditEntry.table_name == "sample", AuditEntry.field == "business_id")))
    assert "合并经营主体：同一营业执照，分店名称" in reasons
    page = client.get(f"/businesses/{proposal.target_id}").get_data(as_text=True)
    assert a.number in page and b.number in page


def test_existing_samples_are_linked_by_the_cli(app, admin):
    from lims.samples.models import Sample

    sample = make_sample(admin, day=dt.date(2026, 3, 1), county_name="精河县", variety="菠菜",
                         business="精河县老店")
    sample.business_id = None
    db.session.flush()
    db.session.execute(sa.delete(Business).where(Business.name == "精河县老店"))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["businesses", "link"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    linked = db.session.get(Sample, sample.id)
    assert linked.business.name == "精河县老店"
    assert linked.business.region_id == county("精河县").id


def test_trace_from_a_failing_sample_across_counties(app, admin, client, login):
    day = dt.date(2026, 5, 10)
    bad = make_sample(admin, day=day, county_name="博乐市", variety="韭菜", fail=("腐霉利",),
                      tested=("腐霉利",), business="博乐市菜摊甲", producer="精河县绿源合作社",
                      batch="B-0501")
    same_batch = make_sample(admin, day=day, county_name="温泉县", variety="韭菜",
                             tested=("腐霉利",), producer="精河县绿源合作社", batch="B-0501")
    same_producer = make_sample(admin, day=day, county_name="精河县", variety="韭菜",
                                tested=("腐霉利",), producer="精河县 绿源合作社", batch="B-0601")
    same_seller = make_sample(admin, day=day, county_name="博乐市", variety="菠菜",
                              business="博乐市菜摊甲")
    unrelated = make_sample(admin, day=day, county_name="博乐市", variety="韭菜")
    db.session.commit()
    from lims.trace.services import trace_sample

    t = trace_sample(bad)
    assert {s.number for s in t.same_producer} == {same_batch.number, same_producer.number}
    assert [s.number for s in t.same_batch] == [same_batch.number]
    assert [s.number for s in t.same_seller] == [same_seller.number]
    assert unrelated.number not in {s.number for s in t.same_producer + t.same_seller}
    assert bad.id in t.failed and t.items == ["腐霉利"]
    login("risk_admin")
    page = client.get(f"/businesses/trace/{bad.number}").get_data(as_text=True)
    assert same_batch.number in page and same_producer.number in page
    sample_page = client.get(f"/samples/{bad.number}").get_data(as_text=True)
    assert f"/businesses/trace/{bad.number}" in sample_page


def test_key_food_traceability_share(app, admin):
    from lims.trace.services import traceability_share

    day = dt.date(2026, 4, 1)
    make_sample(admin, day=day, county_name="博乐市", variety="食用植物油", producer="某油厂",
                batch="20260301")
    make_sample(admin, day=day, county_name="博乐市", variety="食用植物油", producer="某油厂")
    make_sample(admin, day=day, county_name="博乐市", variety="食用植物油")
    make_sample(admin, day=day, county_name="博乐市", variety="菠菜", producer="x", batch="y")
    db.session.commit()
    rows = {r["name"]: r for r in traceability_share(dt.date(2026, 1, 1),
                                                     dt.date(2026, 12, 31))}
    # 3 oil samples, one with both producer and batch → 1/3; spinach is not a key food
    assert (rows["食用植物油"]["samples"], rows["食用植物油"]["traceable"]) == (3, 1)
    assert abs(rows["食用植物油"]["share"] - 1 / 3) < 1e-12
    assert sum(r["samples"] for r in rows.values()) == 3


def test_match_needs_a_name(app):
    assert match_business("  ") is None


def test_the_migration_links_existing_samples(app, admin):
    """Samples registered before the migration are linked by it (downgrade, then upgrade)."""
    from flask_migrate import downgrade, upgrade

    make_sample(admin, day=dt.date(2026, 2, 1), county_name="温泉县", variety="菠菜",
                business="温泉县 老菜店", licence=VALID, producer="温泉县某合作社")
    make_sample(admin, day=dt.date(2026, 2, 2), county_name="温泉县", variety="芹菜",
                business="温泉县老菜店", producer="温泉县某合作社")
    make_sample(admin, day=dt.date(2026, 2, 3), county_name="博乐市", variety="芹菜",
                business="温泉县老菜店")
    db.session.commit()
    db.session.remove()
    downgrade(revision="i16_stats_definitions")  # the revision before i17_risk
    upgrade()
    rows = db.session.execute(sa.text(
        "SELECT s.business_name, s.business_id, s.producer_business_id, b.credit_code, "
        "b.region_id FROM sample s JOIN business b ON b.id = s.business_id "
        "ORDER BY s.sampled_on")).all()
    assert len(rows) == 3
    # the receipt's rule: the second has no code, the same normalised name and county → the
    # first's record; the third is in another county → a record of its own
    assert rows[0].credit_code == VALID
    assert rows[0].business_id == rows[1].business_id != rows[2].business_id
    assert rows[0].producer_business_id == rows[1].producer_business_id
    assert rows[0].producer_business_id is not None
    assert rows[2].producer_business_id is None


def test_duplicates_from_concurrent_receipts_are_proposed_for_merging(app):
    from lims.businesses.models import Business

    region = county("精河县")
    # two receipts committed at the same moment each made a record of the same business
    for _ in range(2):
        db.session.add(Business(name="精河县某店", name_key=normalise_name("精河县某店"),
                                region_id=region.id))
    db.session.commit()
    first, second = db.session.scalars(sa.select(Business).order_by(Business.id)).all()
    match = match_business("精河县 某店", region_id=region.id)
    assert match.business.id == first.id and not match.created
    assert [(p.source_id, p.target_id) for p in match.proposals] == [(second.id, first.id)]
    db.session.commit()
    assert match_business("精河县某店", region_id=region.id).proposals == []
