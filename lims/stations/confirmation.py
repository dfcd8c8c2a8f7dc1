"""From a positive rapid result to the lab's confirmation, and how often labs confirm.

A positive (by the station or by the server's re-judgement) opens one confirmation task: a
sample to be collected from that vendor and tested by the county lab of the market's county,
or by the prefecture lab when the county lab has declared no capability for the item (the
capabilities of lims.capabilities, through the test items of the food's table in the sampling
rules).  The lab registers the sample (task type 快检阳性复检) and links it to the task; the
agreement is read from the sample's results (lims.results), when that package is present.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources

import sqlalchemy as sa
from flask import current_app

from lims.capabilities.services import can_test
from lims.core.db import utcnow
from lims.extensions import db
from lims.foods import services as foods
from lims.orgs.models import Organization, OrgTier, Region
from lims.samples.models import Sample, TaskType
from lims.stations.models import (
    ConfirmationTask,
    Market,
    StationResult,
    TaskStatus,
    current_result_clause,
)
from lims.users.models import User
from lims.users.roles import Permission

DEFAULT_DUE_DAYS = 3


class ConfirmationError(ValueError):
    """A refused operation on a confirmation task (Chinese message)."""


@lru_cache(maxsize=1)
def _rapid_items() -> dict[str, tuple[str, ...]]:
    """Rapid test item name (and aliases) → analyte keys a lab confirms it by."""
    text = resources.files("lims.stations").joinpath("data/rapid_items.csv").read_text("utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for row in csv.DictReader(text.splitlines()):
        keys = tuple(k for k in row["analyte_keys"].split("|") if k)
        for name in [row["test_item"], *row["aliases"].split("|")]:
            if name:
                out[name.strip().lower()] = keys
    return out


def analyte_keys_for(test_item: str, analyte_key: str | None = None) -> tuple[str, ...]:
    if analyte_key:
        return (analyte_key,)
    return _rapid_items().get(test_item.strip().lower(), (test_item.strip(),))


def screened_by(result: StationResult, item) -> bool:
    """Does the rapid test of ``result`` screen for this lab item?  The mapping of rapid test
    kinds to the analytes they screen for is data (data/rapid_items.csv); only a failing
    lab result for one of those confirms a positive (lims.stats.definitions)."""
    keys = set(analyte_keys_for(result.test_item, result.analyte_key))
    return item.analyte_key in keys or item.name_zh in keys


def _labs() -> list[Organization]:
    return list(db.session.scalars(sa.select(Organization).where(
        Organization.active.is_(True),
        Organization.tier.in_([OrgTier.COUNTY_LAB, OrgTier.PREFECTURE_LAB]))))


def choose_lab(region_id: int, food_name: str, test_item: str, analyte_key: str | None,
               on: dt.date | None = None, *, labs: list[Organization] | None = None,
               subcategories: dict | None = None) -> tuple[Organization, str]:
    """The confirming lab and why: the county lab if it can test the item, else the prefecture.

    ``labs`` and ``subcategories`` (food name → 细类, filled here) let a batch look them up once.
    """
    labs = _labs() if labs is None else labs
    county = next((lab for lab in labs if lab.tier == OrgTier.COUNTY_LAB
                   and lab.region_id == region_id), None)
    prefecture = next((lab for lab in labs if lab.tier == OrgTier.PREFECTURE_LAB), None)
    keys = set(analyte_keys_for(test_item, analyte_key))
    subcategory = _subcategory(food_name, subcategories)
    items = [i for i in foods.items_for(subcategory) if i.analyte_key in keys] \
        if subcategory is not None else []
    if county is not None:
        for item in items:
            capability = can_test(county, item, on)
            if capability is not None:
                return county, f"本县检验机构具备 {item.name_zh} 检验能力（{capability.method_standard}）"
    if prefecture is None:
        if county is None:
            raise ConfirmationError("网络中没有可承担复检的检验机构")
        return county, "未找到州级检验机构，由本县检验机构复检"
    if subcategory is None:
        return prefecture, f"食品 {food_name} 未能对应抽检细则细类，由州级检验机构复检"
    if not items:
        return prefecture, f"{food_name} 的检验项目表中没有 {test_item} 对应项目，由州级检验机构复检"
    return prefecture, f"本县检验机构未声明 {test_item} 检验能力，由州级检验机构复检"


# food name → 细类 of the current rules edition, across batches: it changes only with a new
# edition, which is part of the key (bounded; cleared when full)
_SUBCATEGORY_IDS: dict[tuple[str, int, str], int | None] = {}


def _subcategory(food_name: str, cache: dict | None):
    from lims.foods.models import FoodCategoryNode

    edition = (cache or {}).get("__edition__") or foods.current_edition()
    if edition is None:
        return None
    if cache is not None:
        cache["__edition__"] = edition
    key = (str(db.engine.url), edition.id, food_name)
    if key not in _SUBCATEGORY_IDS:
        if len(_SUBCATEGORY_IDS) > 2000:
            _SUBCATEGORY_IDS.clear()
        node = foods.find_subcategory(food_name, edition)
        _SUBCATEGORY_IDS[key] = node.id if node is not None else None
    node_id = _SUBCATEGORY_IDS[key]
    return db.session.get(FoodCategoryNode, node_id) if node_id is not None else None


def due_days() -> int:
    return int(current_app.config.get("STATION_CONFIRMATION_DUE_DAYS", DEFAULT_DUE_DAYS))


def open_tasks_for(positives: list[tuple[int, dict, Market]]) -> dict[int, int]:
    """One task per new positive result (id, stored row, market); returns result id → task id."""
    if not positives:
        return {}
    chosen: dict[tuple, tuple[Organization, str]] = {}
    tasks: list[tuple[int, ConfirmationTask]] = []
    labs, subcategories = _labs(), {}
    for result_id, row, market in positives:
        key = (market.region_id, row["food_name"], row["test_item"], row["analyte_key"])
        if key not in chosen:
            chosen[key] = choose_lab(market.region_id, row["food_name"], row["test_item"],
                                     row["analyte_key"], row["tested_on"], labs=labs,
                                     subcategories=subcategories)
        lab, reason = chosen[key]
        task = ConfirmationTask(station_result_id=result_id, lab_org_id=lab.id,
                                lab_reason=reason[:200], status=TaskStatus.OPEN,
                                due_on=row["tested_on"] + dt.timedelta(days=due_days()))
        db.session.add(task)
        tasks.append((result_id, task))
    db.session.flush()
    return {result_id: task.id for result_id, task in tasks}


# --- the lab's side -------------------------------------------------------------------------

def visible_tasks_clause(user: User):
    """The prefecture sees every task; a lab its own; a station the tasks of its results."""
    if user.org.tier == OrgTier.PREFECTURE_LAB:
        return sa.true()
    if user.org.tier == OrgTier.STATION:
        return ConfirmationTask.station_result_id.in_(
            sa.select(StationResult.id).where(StationResult.station_org_id == user.org_id))
    return ConfirmationTask.lab_org_id == user.org_id


def link_sample(task: ConfirmationTask, sample: Sample, user: User) -> None:
    """The lab registered the confirmation sample: link it to the task."""
    if not user.can(Permission.REGISTER_SAMPLE) or user.org_id != task.lab_org_id:
        raise ConfirmationError("只有承担复检的检验机构的接收员可以关联复检样品")
    if task.status != TaskStatus.OPEN:
        raise ConfirmationError("该复检任务已关联样品或已关闭")
    if sample.task_type != TaskType.RAPID_RETEST:
        raise ConfirmationError(f"样品 {sample.number} 的任务类型不是“快检阳性复检”")
    if sample.registered_org_id != task.lab_org_id:
        raise ConfirmationError(f"样品 {sample.number} 不是本机构登记的样品")
    taken = db.session.scalar(sa.select(ConfirmationTask.id).where(
        ConfirmationTask.sample_id == sample.id))
    if taken is not None:
        raise ConfirmationError(f"样品 {sample.number} 已关联复检任务 {taken}")
    task.sample_id = sample.id
    task.status = TaskStatus.SAMPLE_REGISTERED


def cancel(task: ConfirmationTask, user: User, reason: str) -> None:
    if user.org_id != task.lab_org_id or not user.can(Permission.REGISTER_SAMPLE):
        raise ConfirmationError("只有承担复检的检验机构可以取消复检任务")
    if not reason.strip():
        raise ConfirmationError("取消复检任务必须填写原因")
    if task.status in (TaskStatus.CONFIRMED, TaskStatus.NOT_CONFIRMED):
        raise ConfirmationError("已有复检结论的任务不能取消")
    from lims.audit.context import change_reason

    with change_reason(reason.strip()):
        task.status = TaskStatus.CANCELLED
        task.closed_at = utcnow()
        db.session.flush()


# --- agreement --------------------------------------------------------------------------------

AWAITING_SAMPLE = "awaiting_sample"
AWAITING_RESULT = "awaiting_result"
RESULTS_UNAVAILABLE = "results_unavailable"
CONFIRMED = "confirmed"
NOT_CONFIRMED = "not_confirmed"
CANCELLED = "cancelled"

AGREEMENT_ZH = {
    AWAITING_SAMPLE: "待采样复检", AWAITING_RESULT: "复检中，待检验结果",
    RESULTS_UNAVAILABLE: "检验结果模块未启用，无法比对",
    CONFIRMED: "一致：实验室确认阳性（不合格）", NOT_CONFIRMED: "不一致：实验室检验合格（未确认）",
    CANCELLED: "复检任务已取消",
}


@dataclass(frozen=True)
class LabLine:
    item: str
    reported_value: str
    unit: str
    verdict: str
    status: str


@dataclass(frozen=True)
class Agreement:
    state: str
    lines: list[LabLine] = field(default_factory=list)

    @property
    def label_zh(self) -> str:
        return AGREEMENT_ZH[self.state]


def _lab_results(sample: Sample) -> list | None:
    """The sample's lab results, or None when lims.results is not installed."""
    try:
        from lims.results.services import results_for_sample
    except ImportError:
        return None
    return results_for_sample(sample)


def agreement(task: ConfirmationTask) -> Agreement:
    if task.status == TaskStatus.CANCELLED:
        return Agreement(CANCELLED)
    if task.sample_id is None:
        return Agreement(AWAITING_SAMPLE)
    samples = [task.sample, *task.sample.children]
    results = []
    for sample in samples:
        found = _lab_results(sample)
        if found is None:
            return Agreement(RESULTS_UNAVAILABLE)
        results.extend(found)
    lines = [LabLine(r.sample_test.test_item.name_zh, r.reported_value or "", r.unit or "",
                     r.verdict, str(getattr(r.status, "value", r.status))) for r in results]
    final = [r for r in results if str(getattr(r.status, "value", r.status)) == "approved"]
    if any(r.verdict == "fail" and screened_by(task.station_result, r.sample_test.test_item)
           for r in final):
        return Agreement(CONFIRMED, lines)
    tests = [t for s in samples for t in s.active_tests]
    if tests and len(final) >= len(tests):
        return Agreement(NOT_CONFIRMED, lines)
    return Agreement(AWAITING_RESULT, lines)


def refresh(task: ConfirmationTask) -> Agreement:
    """Bring the task's status up to date with its sample's results; returns the agreement."""
    found = agreement(task)
    target = {CONFIRMED: TaskStatus.CONFIRMED, NOT_CONFIRMED: TaskStatus.NOT_CONFIRMED}.get(
        found.state)
    if target is not None and task.status != target:
        task.status = target
        task.closed_at = utcnow()
    return found


def on_sample_approved(sample: Sample, **_extra) -> None:
    """lims.results signal: a (sub-)sample's results are approved — close its task."""
    root = sample.root
    task = db.session.scalar(sa.select(ConfirmationTask).where(
        ConfirmationTask.sample_id == root.id))
    if task is not None:
        refresh(task)
        db.session.commit()


def connect_signals() -> None:
    try:
        from lims.results.signals import sample_approved
    except ImportError:
        return
    sample_approved.connect(on_sample_approved, weak=False)


# --- the rate the stats package reports --------------------------------------------------

@dataclass(frozen=True)
class ConfirmationRate:
    positives: int        # rapid positives in the period (station or server verdict)
    concluded: int        # of them, tasks the labs concluded (confirmed or not)
    confirmed: int        # of them, confirmed by a lab result
    open: int             # tasks still waiting for a sample or a result

    @property
    def rate(self) -> Decimal | None:
        """Share of concluded confirmations that confirmed the rapid positive."""
        return None if not self.concluded else Decimal(self.confirmed) / Decimal(self.concluded)

    @property
    def share_of_positives(self) -> Decimal | None:
        return None if not self.positives else Decimal(self.confirmed) / Decimal(self.positives)


def _period(period) -> tuple[dt.date, dt.date]:
    if isinstance(period, str):
        parts = [int(p) for p in period.split("-")]
        if len(parts) == 1:
            return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
        start = dt.date(parts[0], parts[1], 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return start, end
    start, end = period
    return start, end


def confirmation_rate(period, region: Region | str | int | None = None) -> ConfirmationRate:
    """Rapid positives tested in ``period`` ((first, last) dates inclusive, or "2026" /
    "2026-11"), optionally in one county (Region, its code or id), and how labs concluded."""
    start, end = _period(period)
    positive = sa.or_(StationResult.station_verdict == "positive",
                      StationResult.server_verdict == "positive")
    query = (sa.select(ConfirmationTask.status, sa.func.count(StationResult.id))
             .select_from(StationResult)
             .outerjoin(ConfirmationTask, ConfirmationTask.station_result_id == StationResult.id)
             .where(positive, StationResult.tested_on.between(start, end),
                    current_result_clause())
             .group_by(ConfirmationTask.status))
    if region is not None:
        region_id = region.id if isinstance(region, Region) else region
        if isinstance(region_id, str):
            region_id = db.session.scalar(sa.select(Region.id).where(Region.code == region_id))
        query = query.join(Market, Market.id == StationResult.market_id).where(
            Market.region_id == region_id)
    counts = {status: n for status, n in db.session.execute(query)}
    confirmed = counts.get(TaskStatus.CONFIRMED, 0)
    not_confirmed = counts.get(TaskStatus.NOT_CONFIRMED, 0)
    return ConfirmationRate(
        positives=sum(counts.values()), concluded=confirmed + not_confirmed,
        confirmed=confirmed,
        open=counts.get(TaskStatus.OPEN, 0) + counts.get(TaskStatus.SAMPLE_REGISTERED, 0))
