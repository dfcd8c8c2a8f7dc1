"""A small prefecture whose figures can be worked out by hand.

Rules edition T1 holds eight items (spinach, wheat flour, apples); the labs declare a few
capabilities; 博乐市 and 精河县 take samples in 2026 with results and reports, and their
wholesale markets upload rapid results.  Populations are set to round numbers so that the
per-1,000 figures are easy to check: 博乐市 1,000, 精河县 2,000, the prefecture 5,000.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.users.roles import Role

UTC = dt.UTC


def at(day: str, hour: int = 8) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=UTC)


@dataclass
class World:
    items: dict = field(default_factory=dict)
    nodes: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)
    orgs: dict = field(default_factory=dict)
    samples: dict = field(default_factory=dict)
    user: object = None
    counter: int = 0

    def sample(self, number: str, *, food: str, node: str, county: str, task: str,
               sampled_on: str, received: str, parent=None, lab: str = "BZ-LAB"):
        from lims.samples.lifecycle import SampleStatus
        from lims.samples.models import Sample, TaskType

        subcategory = self.nodes[node]
        top = subcategory
        while top.parent is not None:
            top = top.parent
        sample = Sample(
            number=number, parent=parent, suffix=number[-1] if parent else None,
            status=SampleStatus.IN_TESTING, task_type=TaskType(task), food_name=food,
            subcategory_id=subcategory.id, category_code=top.code,
            business_name=f"{food}经营户", business_region_id=self.regions[county].id,
            sampled_on=dt.date.fromisoformat(sampled_on), quantity=Decimal("1"),
            quantity_unit="kg", condition_ok=True, registered_org_id=self.orgs["BZ-LAB"].id,
            assigned_org_id=self.orgs[lab].id, received_by_id=self.user.id,
            received_at=at(received))
        db.session.add(sample)
        db.session.flush()
        self.samples[number] = sample
        return sample

    def test(self, sample, item: str, *, lab: str = "BZ-LAB", removed: bool = False):
        from lims.samples.models import SampleTest

        record = self.items[item]
        test = SampleTest(sample_id=sample.id, test_item_id=record.id,
                          basis_standard=record.basis_standards, lab_org_id=self.orgs[lab].id,
                          removed=removed, removed_reason="不适用" if removed else None)
        db.session.add(test)
        db.session.flush()
        return test

    def result(self, test, verdict: str = "pass", status: str = "approved"):
        from lims.results.models import ResultStatus, TestResult

        result = TestResult(sample_test_id=test.id, method_key="demo", reported_value="0.01",
                            unit="mg/kg", detected=True, verdict=verdict,
                            status=ResultStatus(status), tested_by_id=self.user.id,
                            tested_on=dt.date(2026, 6, 1))
        db.session.add(result)
        db.session.flush()
        return result

    def report(self, sample, issued: str, hour: int = 8, *, revision: int = 0):
        from lims.reports.models import ReportStatus, TestReport

        self.counter += 1
        digest = hashlib.sha256(f"{sample.number}/{revision}".encode()).hexdigest()
        report = TestReport(
            number=f"R-{sample.number}-{revision}", sample_id=sample.id, revision=revision,
            lab_org_id=self.orgs["BZ-LAB"].id, status=ReportStatus.ISSUED,
            issued_at=at(issued, hour), issued_on=dt.date.fromisoformat(issued),
            issued_by_id=self.user.id, pdf=b"%PDF-1.7 test", sha256=digest, page_count=1,
            verify_token=f"tok{digest[:40]}", cma_applied=True)
        db.session.add(report)
        db.session.flush()
        return report


def _node(world: World, edition, code: str, level: int, name: str, parent=None):
    from lims.foods.models import FoodCategoryNode

    node = FoodCategoryNode(edition_id=edition.id, code=code, level=level, name_zh=name,
                            parent=parent, table_id=f"表{code}" if level == 4 else None)
    db.session.add(node)
    db.session.flush()
    world.nodes[code] = node
    return node


def _item(world: World, edition, key: str, node: str, name: str, analyte: str, cls: str,
          basis: str, method: str, local: str | None = None):
    from lims.foods.models import TestItemRecord

    item = TestItemRecord(edition_id=edition.id, subcategory_id=world.nodes[node].id,
                          code=f"{node}:{analyte}", name_zh=name, analyte_key=analyte,
                          analyte_class=cls, is_residue=cls in ("pesticide", "veterinary_drug"),
                          basis_standards=basis, basis_family=basis, method_standards=method,
                          local_standard=local)
    db.session.add(item)
    db.session.flush()
    world.items[key] = item
    return item


@pytest.fixture
def rules(app, network, make_user):
    """The T1 edition and its eight items; the labs' capabilities (see test_coverage)."""
    from lims.capabilities.models import LabCapability
    from lims.foods.models import RulesEdition
    from lims.orgs.models import Organization, Region

    world = World()
    world.user = make_user("stat", roles=(Role.SIGNATORY,), display_name="统计员")
    world.orgs = {o.code: o for o in db.session.scalars(sa.select(Organization))}
    world.regions = {r.name: r for r in db.session.scalars(sa.select(Region))}
    edition = RulesEdition(code="T1", title="测试细则", is_current=True)
    db.session.add(edition)
    db.session.flush()
    veg = _node(world, edition, "34", 1, "蔬菜")
    leafy = _node(world, edition, "34.1", 2, "叶菜类蔬菜", veg)
    _node(world, edition, "34-6", 4, "菠菜", _node(world, edition, "34.1.1", 3, "菠菜", leafy))
    grain = _node(world, edition, "1", 1, "粮食加工品")
    flour = _node(world, edition, "1.1", 2, "小麦粉", grain)
    _node(world, edition, "1-1", 4, "小麦粉", _node(world, edition, "1.1.1", 3, "小麦粉", flour))
    fruit = _node(world, edition, "36", 1, "水果类")
    pome = _node(world, edition, "36.1", 2, "仁果类水果", fruit)
    _node(world, edition, "36-1", 4, "苹果", _node(world, edition, "36.1.1", 3, "苹果", pome))
    fish = _node(world, edition, "35", 1, "水产品")
    _node(world, edition, "35-1", 4, "淡水鱼", _node(world, edition, "35.1", 2, "淡水鱼", fish))
    _item(world, edition, "A", "34-6", "铅(以Pb计)", "铅", "contaminant", "GB 2762", "GB 5009.12")
    _item(world, edition, "B", "34-6", "镉(以Cd计)", "镉", "contaminant", "GB 2762", "GB 5009.15")
    _item(world, edition, "C", "34-6", "毒死蜱", "毒死蜱", "pesticide", "GB 2763", "GB 23200.113")
    _item(world, edition, "D", "34-6", "菌落总数", "菌落总数", "microbe", "GB 29921", "GB 4789.2")
    _item(world, edition, "G", "34-6", "亚硝酸盐", "亚硝酸盐", "contaminant", "DBS 65/010",
          "GB 5009.33", local="DBS 65/010-2023")
    _item(world, edition, "E", "1-1", "铅(以Pb计)", "铅", "contaminant", "GB 2762", "GB 5009.12")
    _item(world, edition, "F", "1-1", "苯并[a]芘", "苯并[a]芘", "contaminant", "GB 2762",
          "GB 5009.27")
    _item(world, edition, "H", "36-1", "毒死蜱", "毒死蜱", "pesticide", "GB 2763", "GB 23200.113")

    def cap(org: str, **values):
        db.session.add(LabCapability(org=world.orgs[org], in_cma_scope=True, **values))

    # prefecture: benzo[a]pyrene in flour (LOQ 0.5 µg/kg ≤ 2.0 µg/kg); aerobic count in
    # spinach (no numeric limit: LOQ not needed)
    cap("BZ-LAB", test_item=world.items["F"], analyte_key="苯并[a]芘",
        method_standard="GB 5009.27-2016", loq=Decimal("0.5"), unit="μg/kg")
    cap("BZ-LAB", test_item=world.items["D"], analyte_key="菌落总数", method_standard="GB 4789.2")
    # 博乐: lead in any food, LOQ 0.25 mg/kg: enough for spinach (0.3), not for flour (0.2)
    cap("BL-LAB", analyte_key="铅", method_standard="GB 5009.12", loq=Decimal("0.25"),
        unit="mg/kg")
    # 精河: cadmium in vegetables by a method the rules do not name for spinach
    cap("JH-LAB", analyte_key="镉", food_scope_code="34", method_standard="GB 5009.268",
        loq=Decimal("0.01"), unit="mg/kg")
    # cadmium by the right method, but withdrawn / expired: they do not count
    cap("BL-LAB", analyte_key="镉", method_standard="GB 5009.15", loq=Decimal("0.003"),
        unit="mg/kg", active=False)
    cap("WQ-LAB", analyte_key="镉", method_standard="GB 5009.15", loq=Decimal("0.003"),
        unit="mg/kg", valid_until=dt.date(2025, 12, 31))
    # 温泉: chlorpyrifos in vegetables by the right method, LOQ not declared (limit 0.02)
    cap("WQ-LAB", analyte_key="毒死蜱", food_scope_code="34", method_standard="GB 23200.113")
    db.session.commit()
    return world


@pytest.fixture
def world(rules):
    """The samples, results, reports, markets and rapid results of 2026 (see the module doc)."""
    from lims.stations.models import (
        ConfirmationTask,
        Market,
        MarketKind,
        StationBatch,
        StationResult,
        TaskStatus,
    )

    w = rules
    w.regions["博乐市"].population = 1000
    w.regions["精河县"].population = 2000
    w.regions["博尔塔拉蒙古自治州"].population = 5000
    spinach = dict(food="菠菜", node="34-6")
    # 博乐市
    s1 = w.sample("S1", **spinach, county="博乐市", task="supervision", sampled_on="2026-03-10",
                  received="2026-03-11")
    w.result(w.test(s1, "A"))
    w.result(w.test(s1, "C"))
    w.report(s1, "2026-03-15")                         # 4.0 days
    s2 = w.sample("S2", **spinach, county="博乐市", task="supervision", sampled_on="2026-03-20",
                  received="2026-03-21")
    s2a = w.sample("S2-A", **spinach, county="博乐市", task="supervision",
                   sampled_on="2026-03-20", received="2026-03-21", parent=s2)
    s2b = w.sample("S2-B", **spinach, county="博乐市", task="supervision",
                   sampled_on="2026-03-20", received="2026-03-21", parent=s2, lab="BL-LAB")
    w.result(w.test(s2a, "A"), verdict="fail")
    w.result(w.test(s2b, "C", lab="BL-LAB"))
    w.report(s2a, "2026-03-27")                        # 6.0 days; S2-B not reported
    s3 = w.sample("S3", food="小麦粉", node="1-1", county="博乐市", task="risk_monitoring",
                  sampled_on="2026-04-02", received="2026-04-02")
    w.result(w.test(s3, "E"), status="submitted")
    w.test(s3, "F")
    s4 = w.sample("S4", **spinach, county="博乐市", task="commissioned", sampled_on="2026-04-05",
                  received="2026-04-05")
    w.result(w.test(s4, "A"))
    w.report(s4, "2026-04-07")                         # 2.0 days
    s5 = w.sample("S5", **spinach, county="博乐市", task="supervision", sampled_on="2026-05-01",
                  received="2026-05-01")
    w.test(s5, "A")
    w.result(w.test(s5, "B", removed=True), verdict="fail")  # removed: ignored everywhere
    s6 = w.sample("S6", food="苹果", node="36-1", county="博乐市", task="supervision",
                  sampled_on="2025-12-30", received="2025-12-31")
    w.result(w.test(s6, "H"), verdict="fail")          # 2025: outside the period
    # 精河县
    s7 = w.sample("S7", food="苹果", node="36-1", county="精河县", task="supervision",
                  sampled_on="2026-06-10", received="2026-06-10")
    w.result(w.test(s7, "H"))
    w.report(s7, "2026-06-20")                         # 10.0 days
    s8 = w.sample("S8", food="苹果", node="36-1", county="精河县", task="supervision",
                  sampled_on="2026-07-01", received="2026-07-01")
    w.result(w.test(s8, "H"))
    # 温泉县: carp 20 times, grass carp 19 times (no tests yet)
    for i in range(20):
        w.sample(f"WQ-L{i}", food="鲤鱼", node="35-1", county="温泉县", task="supervision",
                 sampled_on="2026-08-01", received="2026-08-01", lab="WQ-LAB")
    for i in range(19):
        w.sample(f"WQ-C{i}", food="草鱼", node="35-1", county="温泉县", task="risk_monitoring",
                 sampled_on="2026-08-02", received="2026-08-02", lab="WQ-LAB")

    # markets and rapid results
    bl, jh = w.regions["博乐市"], w.regions["精河县"]
    station_bl, station_jh = w.orgs["BL-ST01"], w.orgs["JH-ST01"]

    from lims.stations.stalls import normalise_stall, register_stalls

    def market(code, region, station, kind, stalls, active=True, prefix="A"):
        m = Market(code=code, name=code, region_id=region.id, station_org_id=station.id,
                   kind=kind, stall_count=stalls, active=active)
        db.session.add(m)
        db.session.flush()
        register_stalls(m, [f"{prefix}{n}" for n in range(1, stalls + 1)])  # the registry
        return m

    bl_w = market("T-BL-W", bl, station_bl, MarketKind.WHOLESALE, 10)
    bl_r = market("T-BL-R", bl, station_bl, MarketKind.RETAIL, 50, prefix="R")
    market("T-BL-OLD", bl, station_bl, MarketKind.WHOLESALE, 100, active=False)
    jh_w = market("T-JH-W", jh, station_jh, MarketKind.WHOLESALE, 4, prefix="B")
    db.session.flush()
    batch = StationBatch(station_org_id=station_bl.id, source="json", record_count=0)
    db.session.add(batch)
    db.session.flush()

    def rapid(m, stall, day, verdict="negative", published=False):
        w.counter += 1
        r = StationResult(
            uid=f"u{w.counter}", content_hash=f"{w.counter:064d}", station_org_id=m.station_org_id,
            market_id=m.id, stall=normalise_stall(stall), food_name="油麦菜", food_category="蔬菜",
            test_item="有机磷和氨基甲酸酯类农药", method="enzyme_inhibition",
            inhibition_pct=Decimal("60") if verdict == "positive" else Decimal("10"),
            station_verdict=verdict, server_verdict=verdict, server_reason="", disagreement=False,
            tested_at=at(day), tested_on=dt.date.fromisoformat(day), operator="孙快检",
            batch_id=batch.id, published=published)
        db.session.add(r)
        db.session.flush()
        return r

    def task(result, status):
        db.session.add(ConfirmationTask(station_result_id=result.id, lab_org_id=w.orgs["BL-LAB"].id,
                                        lab_reason="县级", due_on=dt.date(2026, 12, 31),
                                        status=TaskStatus(status)))

    rapid(bl_w, "A1", "2026-02-01", published=True)
    rapid(bl_w, "A1", "2026-02-02", published=True)
    task(rapid(bl_w, "A2", "2026-02-03", "positive"), "confirmed")
    task(rapid(bl_w, "A3", "2026-02-04", "positive"), "not_confirmed")
    rapid(bl_w, "A4", "2025-12-31")                    # outside the period
    rapid(bl_r, "R1", "2026-02-05")                    # retail market: not in the rate
    rapid(jh_w, "B1", "2026-02-01")
    rapid(jh_w, "B2", "2026-02-01")
    task(rapid(jh_w, "B3", "2026-02-01", "positive"), "open")
    db.session.commit()
    return w
