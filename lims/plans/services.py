"""Plans in the database: variety lists, risk history, versions, review, months, receipt links."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import asdict
from pathlib import Path

import sqlalchemy as sa

from lims.core.db import utcnow
from lims.core.localtime import local_today
from lims.extensions import db
from lims.foods import services as foods
from lims.foods.models import FoodCategoryNode, TestItemRecord
from lims.orgs.models import Organization, OrgTier, Region
from lims.orgs.services import counties
from lims.plans import builder
from lims.plans.models import (
    CountyVariety,
    PlanState,
    PlanTask,
    PlanTaskSample,
    SamplingPlan,
    TaskState,
)
from lims.results.models import ResultStatus, TestResult, Verdict
from lims.samples.models import Sample, SampleTest
from lims.users.models import User

DATA = Path(__file__).parent / "data" / "county_varieties.csv"
HISTORY_YEARS = 3
TIER_ZH = {"prefecture": "州级", "county": "县级"}
STATE_ZH = {PlanState.DRAFT: "草稿（待审核）", PlanState.APPROVED: "已审核生效",
            PlanState.SUPERSEDED: "已被新版本取代"}


class PlanServiceError(ValueError):
    """A refused plan operation (Chinese message)."""


# --- variety lists -------------------------------------------------------------------------

def _is_residue_variety(name: str) -> bool:
    """A variety counts toward 2 per 1,000 when its rules table tests a residue."""
    node = foods.find_subcategory(name)
    if node is None:
        return False
    return any(item.is_residue for item in foods.items_for(node))


def load_county_varieties(path: Path = DATA) -> int:
    """Add the shipped list's rows that are not there yet (edits made in the UI are kept)."""
    added = 0
    regions = {r.code: r for r in db.session.scalars(sa.select(Region))}
    with path.open(encoding="utf-8") as fh:
        for line_no, row in enumerate(csv.DictReader(fh), start=2):
            region = regions.get(row["county_code"])
            if region is None:
                continue
            exists = db.session.scalar(sa.select(CountyVariety.id).where(
                CountyVariety.region_id == region.id, CountyVariety.variety == row["variety"]))
            if exists:
                continue
            db.session.add(CountyVariety(
                region_id=region.id, variety=row["variety"],
                residue=_is_residue_variety(row["variety"]),
                source=f"{row['source']}（lims/plans/data/county_varieties.csv 第{line_no}行）"[:200]))
            added += 1
    db.session.flush()
    return added


def add_variety(region: Region, name: str) -> CountyVariety:
    name = (name or "").strip()
    if foods.find_subcategory(name) is None:
        raise PlanServiceError(f"抽检细则中没有该细类：{name}")
    row = db.session.scalar(sa.select(CountyVariety).where(
        CountyVariety.region_id == region.id, CountyVariety.variety == name))
    if row is None:
        row = CountyVariety(region_id=region.id, variety=name, source="界面录入")
        db.session.add(row)
    row.active = True
    row.residue = _is_residue_variety(name)
    db.session.flush()
    return row


def set_variety_active(variety: CountyVariety, active: bool) -> None:
    variety.active = active
    db.session.flush()


def varieties_of(region: Region, *, active_only: bool = True) -> list[CountyVariety]:
    query = sa.select(CountyVariety).where(CountyVariety.region_id == region.id)
    if active_only:
        query = query.where(CountyVariety.active.is_(True))
    return list(db.session.scalars(query.order_by(CountyVariety.variety)))


# --- risk history --------------------------------------------------------------------------

def failure_history(year: int) -> dict[tuple[int, str, str], tuple[int, int]]:
    """(region id, 细类 name, item name) → (approved tests, failures) in the years before."""
    start, end = dt.date(year - HISTORY_YEARS, 1, 1), dt.date(year, 1, 1)
    failed = sa.case((TestResult.verdict == Verdict.FAIL.value, 1), else_=0)
    rows = db.session.execute(
        sa.select(Sample.business_region_id, FoodCategoryNode.name_zh, TestItemRecord.name_zh,
                  sa.func.count(TestResult.id), sa.func.sum(failed))
        .select_from(TestResult)
        .join(SampleTest, SampleTest.id == TestResult.sample_test_id)
        .join(Sample, Sample.id == SampleTest.sample_id)
        .join(FoodCategoryNode, FoodCategoryNode.id == Sample.subcategory_id)
        .join(TestItemRecord, TestItemRecord.id == SampleTest.test_item_id)
        .where(TestResult.status == ResultStatus.APPROVED, Sample.sampled_on >= start,
               Sample.sampled_on < end)
        .group_by(Sample.business_region_id, FoodCategoryNode.name_zh, TestItemRecord.name_zh))
    return {(r[0], r[1], r[2]): (int(r[3]), int(r[4] or 0)) for r in rows}


def plan_inputs(year: int) -> list[builder.CountyInput]:
    history = failure_history(year)
    prefecture: dict[tuple[str, str], list[int]] = {}
    for (_region, variety, item), (n, x) in history.items():
        acc = prefecture.setdefault((variety, item), [0, 0])
        acc[0] += n
        acc[1] += x
    result = []
    for region in counties():
        varieties = []
        for v in varieties_of(region):
            items = sorted({item for (_r, name, item) in history if name == v.variety})
            hist = tuple(builder.ItemHistory(
                item, *history.get((region.id, v.variety, item), (0, 0)),
                *prefecture.get((v.variety, item), (0, 0))) for item in items)
            varieties.append(builder.VarietyInput(v.variety, v.residue, hist))
        if varieties:
            result.append(builder.CountyInput(region.code, region.name, region.population,
                                              tuple(varieties)))
    return result


def _inputs_hash(inputs: list[builder.CountyInput]) -> str:
    text = json.dumps([asdict(c) for c in inputs], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


# --- versions ------------------------------------------------------------------------------

def latest_plan(year: int, *, approved: bool = False) -> SamplingPlan | None:
    query = sa.select(SamplingPlan).where(SamplingPlan.year == year)
    if approved:
        query = query.where(SamplingPlan.state == PlanState.APPROVED)
    return db.session.scalar(query.order_by(SamplingPlan.version.desc()).limit(1))


def _org_for(region: Region, tier: str) -> Organization | None:
    if tier == "county":
        org = db.session.scalar(sa.select(Organization).where(
            Organization.region_id == region.id, Organization.tier == OrgTier.COUNTY_LAB,
            Organization.active.is_(True)).order_by(Organization.code).limit(1))
        if org is not None:
            return org
    return db.session.scalar(sa.select(Organization).where(
        Organization.tier == OrgTier.PREFECTURE_LAB, Organization.active.is_(True)).limit(1))


def _item_names(variety: str) -> tuple[FoodCategoryNode | None, str]:
    node = foods.find_subcategory(variety)
    if node is None:
        return None, ""
    return node, "、".join(i.name_zh for i in foods.items_for(node))


def build_plan(year: int, user: User | None) -> SamplingPlan:
    """A new draft version for the year, or the latest version when the inputs are unchanged."""
    inputs = plan_inputs(year)
    if not inputs:
        raise PlanServiceError("没有任何县市的产销品种清单，无法编制计划")
    digest = _inputs_hash(inputs)
    latest = latest_plan(year)
    if latest is not None and latest.inputs_sha256 == digest and latest.state != \
            PlanState.SUPERSEDED:
        return latest
    try:
        county_plans = builder.build(inputs)
    except builder.PlanError as exc:
        raise PlanServiceError(str(exc)) from None
    plan = SamplingPlan(year=year, version=(latest.version + 1) if latest else 1,
                        state=PlanState.DRAFT, inputs_sha256=digest,
                        created_by_id=user.id if user else None)
    basis = {}
    regions = {r.code: r for r in counties()}
    for cp in county_plans:
        region = regions[cp.code]
        basis[cp.code] = {"population": cp.population, "target_total": cp.target_total,
                          "target_residue": cp.target_residue, "weights": cp.weights}
        for variety, months in cp.months.items():
            tier = "county" if cp.residue[variety] else "prefecture"
            node, items = _item_names(variety)
            org = _org_for(region, tier)
            for month, count in enumerate(months, start=1):
                if count:
                    plan.tasks.append(PlanTask(
                        region_id=region.id, month=month, variety=variety,
                        subcategory_id=node.id if node else None, count=count, items=items,
                        tier=tier, org_id=org.id if org else None, residue=cp.residue[variety]))
    plan.basis_json = json.dumps(basis, ensure_ascii=False, sort_keys=True)
    db.session.add(plan)
    db.session.flush()
    return plan


def approve_plan(plan: SamplingPlan, user: User, note: str = "") -> None:
    """The review: the version takes effect and the one before it is superseded."""
    if plan.state != PlanState.DRAFT:
        raise PlanServiceError("只有草稿状态的计划可以审核")
    if plan.created_by_id is not None and plan.created_by_id == user.id:
        raise PlanServiceError("计划须由编制人以外的人员审核")
    for other in db.session.scalars(sa.select(SamplingPlan).where(
            SamplingPlan.year == plan.year, SamplingPlan.state == PlanState.APPROVED)):
        other.state = PlanState.SUPERSEDED
    plan.state = PlanState.APPROVED
    plan.reviewed_by_id = user.id
    plan.reviewed_at = utcnow()
    plan.review_note = note or None
    db.session.flush()


def assign_month(plan: SamplingPlan, month: int) -> int:
    """Issue a month's tasks to their labs; returns how many tasks were assigned."""
    if plan.state != PlanState.APPROVED:
        raise PlanServiceError("计划审核生效后才能下达任务")
    if not 1 <= month <= 12:
        raise PlanServiceError(f"月份应为 1–12：{month}")
    count = 0
    for task in plan.tasks:
        if task.month == month and task.state == TaskState.PLANNED:
            task.state, task.assigned_at = TaskState.ASSIGNED, utcnow()
            count += 1
    db.session.flush()
    return count


def add_targeted_task(region: Region, variety: str, items: str, note: str, *,
                      today: dt.date | None = None, count: int = 5) -> PlanTask:
    """A 靶向抽检 task in next month's approved plan (the next year's in December)."""
    today = today or local_today()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    plan = latest_plan(year, approved=True)
    if plan is None:
        raise PlanServiceError(f"{year}年没有已审核生效的抽检计划，无法增加靶向抽检任务")
    node = foods.find_subcategory(variety) if variety else None
    residue = _is_residue_variety(variety) if variety else False
    tier = "county" if residue else "prefecture"
    task = PlanTask(plan=plan, region_id=region.id, month=month, variety=variety or "—",
                    subcategory_id=node.id if node else None, count=count, items=items,
                    tier=tier, org_id=(_org_for(region, tier) or Organization()).id,
                    residue=residue, targeted=True, note=note, state=TaskState.ASSIGNED,
                    assigned_at=utcnow())
    db.session.add(task)
    db.session.flush()
    return task


# --- receipt against a task ----------------------------------------------------------------

def link_sample(sample: Sample, task_id: int) -> PlanTaskSample:
    task = db.session.get(PlanTask, task_id)
    if task is None:
        raise PlanServiceError(f"没有该抽检任务：{task_id}")
    if task.plan.state != PlanState.APPROVED:
        raise PlanServiceError(f"抽检任务 #{task.id} 所属的计划未生效（{STATE_ZH[task.plan.state]}）")
    if task.region_id != sample.business_region_id:
        raise PlanServiceError("样品的被抽样单位所在县市与任务不一致")
    link = PlanTaskSample(task_id=task.id, sample_id=sample.id, linked_at=utcnow())
    db.session.add(link)
    db.session.flush()
    return link


def on_sample_received(sample: Sample, user=None, form=None, **_extra) -> None:
    """Receiver of lims.samples.signals.sample_received: the receipt names a task."""
    from lims.samples.services import SampleError

    raw = str((form or {}).get("plan_task") or "").strip()
    if not raw:
        return
    try:
        if not raw.isdigit():
            raise PlanServiceError(f"没有该抽检任务：{raw}")
        link_sample(sample, int(raw))
    except PlanServiceError as exc:  # the receipt page shows it and registers nothing
        raise SampleError(str(exc)) from None


# --- progress and export -------------------------------------------------------------------

def progress(plan: SamplingPlan) -> list[dict]:
    """Per county and month: planned samples, samples received against tasks."""
    received = dict(db.session.execute(
        sa.select(PlanTaskSample.task_id, sa.func.count(PlanTaskSample.id))
        .join(PlanTask, PlanTask.id == PlanTaskSample.task_id)
        .where(PlanTask.plan_id == plan.id).group_by(PlanTaskSample.task_id)).all())
    table: dict[tuple[str, int], dict] = {}
    for task in plan.tasks:
        row = table.setdefault((task.region.code, task.month), {
            "region": task.region.name, "code": task.region.code, "month": task.month,
            "planned": 0, "received": 0, "targeted": 0})
        row["planned"] += task.count
        row["received"] += min(received.get(task.id, 0), task.count)
        row["targeted"] += task.count if task.targeted else 0
    return [table[k] for k in sorted(table)]


def county_summary(plan: SamplingPlan) -> list[dict]:
    basis = json.loads(plan.basis_json or "{}")
    rows: dict[str, dict] = {}
    for task in plan.tasks:
        row = rows.setdefault(task.region.code, {
            "region": task.region.name, "code": task.region.code, "total": 0, "residue": 0,
            "varieties": set(), **basis.get(task.region.code, {})})
        row["total"] += task.count
        row["residue"] += task.count if task.residue else 0
        row["varieties"].add(task.variety)
    for row in rows.values():
        row["varieties"] = len(row["varieties"])
    return [rows[k] for k in sorted(rows)]


EXPORT_HEADER = ["序号", "县市", "月份", "食品细类（品种）", "抽检批次", "检验项目", "承检层级",
                 "承检机构", "任务类型", "备注"]


def export_xlsx(plan: SamplingPlan) -> bytes:
    """The plan as the prefecture sends it to the counties: one sheet per county."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    by_county: dict[str, list[PlanTask]] = {}
    for task in sorted(plan.tasks, key=lambda t: (t.region.code, t.month, t.variety, t.id)):
        by_county.setdefault(task.region.name, []).append(task)
    for county, tasks in by_county.items():
        sheet = book.create_sheet(county[:31])
        sheet.append([f"{plan.year}年{county}食品安全抽检计划（第{plan.version}版，"
                      f"{STATE_ZH[plan.state]}）"])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append(EXPORT_HEADER)
        for n, t in enumerate(tasks, start=1):
            sheet.append([n, county, f"{t.month}月", t.variety, t.count, t.items,
                          TIER_ZH.get(t.tier, t.tier), t.org.name if t.org else "",
                          "靶向抽检" if t.targeted else "计划抽检", t.note or ""])
        sheet.append(["合计", "", "", "", sum(t.count for t in tasks)])
        for row in sheet.iter_rows(min_row=3):
            row[5].alignment = Alignment(wrap_text=True)
        for col, width in zip("ABCDEFGHIJ", (6, 10, 6, 22, 9, 60, 8, 24, 10, 30), strict=True):
            sheet.column_dimensions[col].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def load_demo_varieties() -> None:
    """Demo step: the shipped county variety lists."""
    load_county_varieties()
