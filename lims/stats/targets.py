"""The prefecture plan's targets, per county and for the prefecture, as SQL aggregates.

Definitions (the dashboard prints them next to each figure):

* A *sample* is a root sample (sub-samples …-A/-B are parts of it), counted in the county of
  the business it was taken from (``business_region_id``) and the period by ``sampled_on``.
  Plan samples are supervision, risk-monitoring and rapid-positive re-test samples;
  commissioned tests (委托检验) are private requests and are not counted.
* *Tested*: at least one of its tests (on it or a sub-sample) has a TestResult.
* *Residue sample*: a tested sample with a result for a pesticide or veterinary-drug item —
  the item's analyte class (pesticide, veterinary_drug) or its basis standard (GB 2763,
  GB 31650, 农业农村部公告第250号).
* *Concluded*: every active test of the sample has an approved result.  It is *qualified*
  when none of those results has the verdict fail.  Key foods are the 食用农产品 大类.
* *Published*: a report unit (a sample that carries tests: unsplit, or each sub-sample) whose
  tests are all approved, with an issued (or since amended) report; plus the share of
  station rapid results published on the market notice.
* *Rapid-testing rate of wholesale markets*: distinct stalls of active wholesale markets
  with at least one rapid result in the period ÷ the stalls those markets registered.
* *Turnaround*: receipt of the sample (``received_at``) to the issue of the first report of
  each report unit, in days, for reports issued in the period.
* *Confirmation rate*: rapid positives of the period whose confirmation the labs concluded;
  confirmed ÷ concluded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from lims.extensions import db
from lims.orgs.models import Region, RegionLevel
from lims.orgs.services import counties
from lims.stats import definitions as df
from lims.stats.definitions import (  # noqa: F401 (re-exported: the names other modules use)
    DEFINITIONS,
    KEY_FOOD_CATEGORIES,
    PLAN_TASKS,
    TARGETS,
    VARIETY_MIN,
)
from lims.stats.period import Period

# Varieties that should each be sampled at least 20 times a year, by 大类 group.
VARIETY_GROUPS = {"蔬菜": ("34",), "水果": ("36",), "肉和蛋": ("33", "37"), "水产品": ("35",)}


def _ratio(part: int | None, whole: int | None, scale: int = 1) -> Decimal | None:
    """Unrounded (lims.stats.definitions.ratio); rounded only for display."""
    return df.ratio(part, whole, scale)


def _f(value: Decimal | None) -> float | None:
    return df.shown(value)



def prefecture() -> Region | None:
    return db.session.scalar(sa.select(Region).where(Region.level == RegionLevel.PREFECTURE))


# --- samples: tested, residues, qualified, published (one pass) ---------------------------

def _root_rows(period: Period, region_id: int | None):
    """One row per root sample of the period (from the rollup's report units): its county,
    task, month and outcome.  Most samples are not split: their unit is the root and is
    taken as it is; only the units of split samples are grouped by their root."""
    from lims.stats.models import StatsUnit as U

    ready = sa.case((df.concluded(U), 1), else_=0)
    tested = sa.case((df.has_concluded_result(U), 1), else_=0)  # df.tested
    where = [U.sampled_on.between(period.start, period.end)]
    if region_id is not None:
        where.append(U.region_id == region_id)
    keys = [U.region_id.label("region_id"), U.task_type.label("task_type"),
            U.category_code.label("category_code"), U.year.label("year"),
            U.month.label("month")]
    whole = sa.select(
        *keys, tested.label("tested"),
        U.residue.label("residue"), ready.label("concluded"), U.failed.label("failed"),
        ready.label("units_ready"),
        sa.case((sa.and_(df.concluded(U), U.reported == 1), 1), else_=0)
        .label("units_reported"), U.published.label("published"))\
        .where(U.root_id == U.sample_id, *where)
    parts = sa.select(
        *keys, sa.func.max(tested),
        sa.func.max(U.residue), sa.func.min(ready), sa.func.max(U.failed), sa.func.sum(ready),
        sa.func.sum(sa.case((sa.and_(df.concluded(U), U.reported == 1), 1),
                            else_=0)), sa.func.max(U.published))\
        .where(U.root_id != U.sample_id, *where)\
        .group_by(U.root_id, U.region_id, U.task_type, U.category_code, U.year, U.month)
    return sa.union_all(whole, parts).subquery("roots")


@dataclass
class SampleCounts:
    tested: int = 0
    residue: int = 0
    supervision_concluded: int = 0
    supervision_failed: int = 0
    key_concluded: int = 0
    key_failed: int = 0
    units_ready: int = 0
    units_reported: int = 0
    supervision_published: int = 0

    def add(self, other: SampleCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def sample_counts(period: Period, region_id: int | None = None
                  ) -> tuple[dict[int, SampleCounts], dict[tuple[int, int], SampleCounts]]:
    """Per county, and per (year, month) over all visible counties."""
    roots = _root_rows(period, region_id)
    plan = roots.c.task_type.in_(PLAN_TASKS)
    supervision = roots.c.task_type == "supervision"
    key = roots.c.category_code.in_(KEY_FOOD_CATEGORIES)

    def total(condition) -> sa.ColumnElement:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    query = sa.select(
        roots.c.region_id, roots.c.year, roots.c.month,
        total(sa.and_(plan, roots.c.tested == 1)),
        total(sa.and_(plan, roots.c.residue == 1)),
        total(sa.and_(supervision, roots.c.concluded == 1)),
        total(sa.and_(supervision, roots.c.concluded == 1, roots.c.failed == 1)),
        total(sa.and_(supervision, key, roots.c.concluded == 1)),
        total(sa.and_(supervision, key, roots.c.concluded == 1, roots.c.failed == 1)),
        sa.func.coalesce(sa.func.sum(roots.c.units_ready), 0),
        sa.func.coalesce(sa.func.sum(roots.c.units_reported), 0),
        total(sa.and_(supervision, roots.c.concluded == 1, roots.c.published == 1)),
    ).group_by(roots.c.region_id, roots.c.year, roots.c.month)
    by_region: dict[int, SampleCounts] = {}
    by_month: dict[tuple[int, int], SampleCounts] = {}
    # At most counties × months rows come back: the per-county and monthly sums below add
    # up a few dozen pre-aggregated rows, not samples.
    for region, year, month, *values in db.session.execute(query):
        counts = SampleCounts(*(int(v) for v in values))
        by_region.setdefault(region, SampleCounts()).add(counts)
        by_month.setdefault((int(year), int(month)), SampleCounts()).add(counts)
    return by_region, by_month


# --- turnaround ---------------------------------------------------------------------------

def _duration_days(received, issued):
    if db.engine.dialect.name == "postgresql":
        return sa.extract("epoch", issued - received) / 86400.0
    return sa.func.julianday(issued) - sa.func.julianday(received)


def _turnaround_base(period: Period, region_id: int | None):
    from lims.stats.models import StatsUnit as U

    query = (sa.select(U.region_id.label("region_id"),
                       _duration_days(U.received_at, U.first_report_at).label("days"))
             .where(U.first_report_at >= period.start_at,
                    U.first_report_at < period.end_before))
    if region_id is not None:
        query = query.where(U.region_id == region_id)
    return query


def turnaround(period: Period, region_id: int | None = None) -> dict[int | None, dict]:
    """Median and 90th percentile of receipt → first report, in days, per county and for all
    (key None).  PostgreSQL: percentile_cont; SQLite: the two neighbouring durations of each
    percentile picked by row_number() over the sorted durations, then interpolated as
    percentile_cont does."""
    base = _turnaround_base(period, region_id).subquery("durations")
    out: dict[int | None, dict] = {}
    if db.engine.dialect.name == "postgresql":
        for region, n, p50, p90 in db.session.execute(
                sa.select(base.c.region_id, sa.func.count(),
                          sa.func.percentile_cont(0.5).within_group(base.c.days),
                          sa.func.percentile_cont(0.9).within_group(base.c.days))
                .group_by(sa.func.rollup(base.c.region_id))):
            out[region] = {"reports": n, "median_days": _days(p50), "p90_days": _days(p90)}
        return out
    for partition_all in (False, True):
        key = sa.literal(0) if partition_all else base.c.region_id
        ranked = sa.select(
            key.label("k"), base.c.days,
            sa.func.row_number().over(partition_by=key, order_by=base.c.days).label("rn"),
            sa.func.count().over(partition_by=key).label("n")).subquery("ranked")
        wanted = []
        for p in (0.5, 0.9):
            position = (ranked.c.n - 1) * p
            low = sa.cast(position, sa.Integer)  # floor of a non-negative number
            high = low + sa.case((position > low, 1), else_=0)
            wanted += [ranked.c.rn - 1 == low, ranked.c.rn - 1 == high]
        rows = db.session.execute(sa.select(ranked.c.k, ranked.c.rn, ranked.c.n, ranked.c.days)
                                  .where(sa.or_(*wanted))).all()
        picked: dict = {}
        for k, rn, n, days in rows:
            picked.setdefault(k, {"n": n, "values": {}})["values"][rn - 1] = days
        for k, entry in picked.items():
            n, values = entry["n"], entry["values"]
            result = {"reports": n}
            for p, name in ((0.5, "median_days"), (0.9, "p90_days")):
                position = (n - 1) * p
                low, high = math.floor(position), math.ceil(position)
                value = values[low] + (values[high] - values[low]) * (position - low)
                result[name] = _days(value)
            out[None if partition_all else k] = result
    return out


def _days(value) -> float | None:
    return None if value is None else round(float(value), 2)


# --- markets and stations -----------------------------------------------------------------

def current_results():
    """Rapid results not replaced by a correction: a corrected result counts once, as its
    correction (lims.stats.definitions.rapid_testing_rate)."""
    from lims.stations.models import current_result_clause

    return current_result_clause()


def stations(period: Period, region_id: int | None = None) -> dict[int, dict]:
    """Per county: current rapid results, published, positives; the registered stalls of
    active wholesale markets and how many of them were tested (a join to the registry: never
    more than registered); how the labs concluded the positives."""
    from lims.stations.models import (
        ConfirmationTask,
        Market,
        MarketKind,
        MarketStall,
        StationResult,
        TaskStatus,
    )

    positive = sa.or_(StationResult.station_verdict == "positive",
                      StationResult.server_verdict == "positive")
    in_period = StationResult.tested_on.between(period.start, period.end)

    def total(condition) -> sa.ColumnElement:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    wholesale = sa.and_(Market.kind == MarketKind.WHOLESALE, Market.active.is_(True))
    results = (sa.select(Market.region_id, sa.func.count(),
                         total(StationResult.published.is_(True)), total(positive))
               .select_from(StationResult).join(Market, Market.id == StationResult.market_id)
               .where(in_period, current_results()).group_by(Market.region_id))
    # the (market, stall) pairs tested in the period, once each, joined to the registry
    tested = (sa.select(StationResult.market_id, StationResult.stall)
              .where(in_period, current_results()).distinct().subquery("tested"))
    registry = (sa.select(Market.region_id, sa.func.count(MarketStall.id),
                          sa.func.count(tested.c.stall))
                .select_from(MarketStall).join(Market, Market.id == MarketStall.market_id)
                .outerjoin(tested, sa.and_(tested.c.market_id == MarketStall.market_id,
                                           tested.c.stall == MarketStall.code))
                .where(wholesale, MarketStall.active.is_(True)).group_by(Market.region_id))
    tasks = (sa.select(Market.region_id, ConfirmationTask.status, sa.func.count())
             .select_from(ConfirmationTask)
             .join(StationResult, StationResult.id == ConfirmationTask.station_result_id)
             .join(Market, Market.id == StationResult.market_id)
             .where(positive, in_period, current_results())
             .group_by(Market.region_id, ConfirmationTask.status))
    if region_id is not None:
        results = results.where(Market.region_id == region_id)
        registry = registry.where(Market.region_id == region_id)
        tasks = tasks.where(Market.region_id == region_id)
    out: dict[int, dict] = {}

    def entry(region: int) -> dict:
        return out.setdefault(region, {"results": 0, "published": 0, "positives": 0,
                                       "stalls_tested": 0, "registered_stalls": 0,
                                       "confirmed": 0, "not_confirmed": 0})

    for region, n, published, positives in db.session.execute(results):
        entry(region).update(results=int(n), published=int(published),
                             positives=int(positives))
    for region, registered, tested in db.session.execute(registry):
        entry(region).update(registered_stalls=int(registered), stalls_tested=int(tested))
    for region, status, count in db.session.execute(tasks):
        if status == TaskStatus.CONFIRMED:
            entry(region)["confirmed"] += count
        elif status == TaskStatus.NOT_CONFIRMED:
            entry(region)["not_confirmed"] += count
    return out


# --- varieties ----------------------------------------------------------------------------

def varieties(period: Period, region_id: int | None = None) -> list[dict]:
    """Counted root samples per 细类 of the rules (lims.stats.definitions.variety_meets) in
    the vegetable, fruit, meat-and-egg and aquatic 大类."""
    from lims.foods.models import FoodCategoryNode
    from lims.samples.lifecycle import SampleStatus
    from lims.samples.models import Sample

    codes = [c for group in VARIETY_GROUPS.values() for c in group]
    query = (sa.select(Sample.category_code, FoodCategoryNode.name_zh,
                       sa.func.count(Sample.id))
             .join(FoodCategoryNode, FoodCategoryNode.id == Sample.subcategory_id)
             .where(Sample.parent_id.is_(None), Sample.category_code.in_(codes),
                    Sample.task_type.in_(PLAN_TASKS),
                    Sample.status != SampleStatus.CANCELLED,
                    Sample.sampled_on.between(period.start, period.end))
             .group_by(Sample.category_code, FoodCategoryNode.id, FoodCategoryNode.name_zh))
    if region_id is not None:
        query = query.where(Sample.business_region_id == region_id)
    group_of = {c: name for name, group in VARIETY_GROUPS.items() for c in group}
    merged: dict[tuple[str, str], int] = {}
    for code, name, n in db.session.execute(query):
        merged[(code, name)] = merged.get((code, name), 0) + int(n)
    rows = [{"group": group_of[code], "category_code": code, "food_name": name,
             "samples": n, "meets": df.variety_meets(n)}
            for (code, name), n in merged.items()]
    rows.sort(key=lambda r: (list(VARIETY_GROUPS).index(r["group"]), -r["samples"],
                             r["food_name"]))
    return rows


# --- failing items and foods --------------------------------------------------------------

TASK_TYPES_ZH = {"supervision": "监督抽检", "risk_monitoring": "风险监测",
                 "rapid_retest": "快检阳性复检", "commissioned": "委托检验"}


def top_failures(period: Period, region_id: int | None = None, limit: int = 10,
                 task_type: str | None = None) -> dict:
    """Approved failing results of one task type (监督抽检 by default,
    lims.stats.definitions.failure_task): the items and the foods that failed most."""
    from lims.foods.models import TestItemRecord
    from lims.stats.models import StatsTest as T
    from lims.stats.models import StatsUnit as U

    task = df.failure_task(task_type)
    where = [U.task_type == task, U.sampled_on.between(period.start, period.end)]
    if region_id is not None:
        where.append(U.region_id == region_id)
    items = db.session.execute(
        sa.select(TestItemRecord.name_zh, sa.func.count())
        .select_from(T).join(U, U.sample_id == T.sample_id)
        .join(TestItemRecord, TestItemRecord.id == T.test_item_id)
        .where(T.failed == 1, *where).group_by(TestItemRecord.name_zh)
        .order_by(sa.func.count().desc(), TestItemRecord.name_zh).limit(limit)).all()
    roots = (sa.select(U.food_name, U.root_id).where(U.failed == 1, *where).distinct()
             .subquery("failed_roots"))
    foods = db.session.execute(
        sa.select(roots.c.food_name, sa.func.count()).group_by(roots.c.food_name)
        .order_by(sa.func.count().desc(), roots.c.food_name).limit(limit)).all()
    return {"task_type": task, "task_type_zh": TASK_TYPES_ZH.get(task, task),
            "items": [{"item": i, "results": n} for i, n in items],
            "foods": [{"food": f, "samples": n} for f, n in foods]}


# --- the whole set ------------------------------------------------------------------------

def _row(region: Region | None, label: str, counts: SampleCounts, population: int,
         rapid: dict, stations: dict, tat: dict) -> dict:
    """One county's (or the prefecture's) figures: values rounded for display, every
    ``*_meets`` decided on the unrounded value (lims.stats.definitions)."""
    samples_rate = df.per_1000(counts.tested, population)
    residue_rate = df.per_1000(counts.residue, population)
    published = df.published_rate(counts.supervision_concluded, counts.supervision_published)
    qualified = df.qualified_rate(counts.supervision_concluded, counts.supervision_failed)
    key_qualified = df.qualified_rate(counts.key_concluded, counts.key_failed)
    rapid_rate = df.rapid_testing_rate(rapid.get("stalls_tested", 0),
                                       rapid.get("registered_stalls", 0))
    station_published = df.station_published_rate(stations.get("results", 0),
                                                   stations.get("published", 0))
    concluded = stations.get("confirmed", 0) + stations.get("not_confirmed", 0)
    return {
        "region_id": region.id if region else None,
        "region_code": region.code if region else None,
        "region": label,
        "population": population,
        "samples_tested": counts.tested,
        "samples_per_1000": df.shown(samples_rate, "0.01"),
        "samples_per_1000_meets": df.meets(samples_rate, TARGETS["samples_per_1000"]),
        "residue_samples": counts.residue,
        "residue_per_1000": df.shown(residue_rate, "0.01"),
        "residue_per_1000_meets": df.meets(residue_rate, TARGETS["residue_per_1000"]),
        "report_units_approved": counts.units_ready,
        "report_units_reported": counts.units_reported,
        "supervision_published": counts.supervision_published,
        "published_rate": _f(published),
        "published_meets": df.meets(published, TARGETS["published"]),
        "station_results": stations.get("results", 0),
        "station_results_published": stations.get("published", 0),
        "station_published_rate": _f(station_published),
        "supervision_concluded": counts.supervision_concluded,
        "supervision_failed": counts.supervision_failed,
        "qualified_rate": _f(qualified),
        "qualified_meets": df.meets(qualified, TARGETS["qualified"]),
        "key_concluded": counts.key_concluded,
        "key_failed": counts.key_failed,
        "key_qualified_rate": _f(key_qualified),
        "key_qualified_meets": df.meets(key_qualified, TARGETS["qualified"]),
        "wholesale_stalls": rapid.get("registered_stalls", 0),
        "wholesale_stalls_tested": rapid.get("stalls_tested", 0),
        "rapid_testing_rate": _f(rapid_rate),
        "rapid_testing_meets": df.meets(rapid_rate, TARGETS["rapid_rate"]),
        "rapid_positives": stations.get("positives", 0),
        "rapid_confirmed": stations.get("confirmed", 0),
        "rapid_concluded": concluded,
        "confirmation_rate": _f(df.confirmation_rate(stations.get("confirmed", 0), concluded)),
        "turnaround_reports": tat.get("reports", 0),
        "turnaround_median_days": tat.get("median_days"),
        "turnaround_p90_days": tat.get("p90_days"),
    }


def targets_report(period: Period, *, region_id: int | None = None,
                   task_type: str | None = None) -> dict:
    """Every target per county (and for the prefecture unless limited to one county)."""
    from lims.stats import rollup

    rollup.prepare()
    by_region, by_month = sample_counts(period, region_id)
    rapid = stations(period, region_id)
    tat = turnaround(period, region_id)
    rows = []
    total_counts = SampleCounts()
    total_rapid: dict[str, int] = {}
    population = 0
    for county in counties(region_id):
        counts = by_region.get(county.id, SampleCounts())
        rows.append(_row(county, county.name, counts, county.population,
                         rapid.get(county.id, {}), rapid.get(county.id, {}),
                         tat.get(county.id, {})))
        total_counts.add(counts)
        population += county.population
        for key, value in rapid.get(county.id, {}).items():
            total_rapid[key] = total_rapid.get(key, 0) + value
    total = None
    if region_id is None:
        pref = prefecture()
        total = _row(pref, pref.name if pref else "全州", total_counts,
                     pref.population if pref else population, total_rapid, total_rapid,
                     tat.get(None, {}))
    months = []
    for (year, month), counts in sorted(by_month.items()):
        rate = _ratio(counts.supervision_concluded - counts.supervision_failed,
                      counts.supervision_concluded)
        months.append({"month": f"{year:04d}-{month:02d}",
                       "supervision_concluded": counts.supervision_concluded,
                       "supervision_failed": counts.supervision_failed,
                       "qualified_rate": _f(rate)})
    variety_rows = varieties(period, region_id)
    groups = []
    for name in VARIETY_GROUPS:
        mine = [r for r in variety_rows if r["group"] == name]
        groups.append({"group": name, "varieties": len(mine),
                       "varieties_20": sum(1 for r in mine if r["meets"])})
    return {
        "period": period.as_dict(),
        "targets": {k: float(v) for k, v in TARGETS.items()},
        "definitions": DEFINITIONS,
        "counties": rows,
        "prefecture": total,
        "monthly_qualified": months,
        "varieties": {"minimum": VARIETY_MIN, "groups": groups, "rows": variety_rows},
        "failures": top_failures(period, region_id, task_type=task_type),
        "figures": {k: {"label": d.label, "definition": d.text, "plan": d.plan}
                    for k, d in df.FIGURES.items()},
    }
