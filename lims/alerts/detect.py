"""Signals: plain functions of the stored records and a day; the same ones run as results
conclude (lims.alerts.hooks) and in the nightly job (``lims alerts run``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from lims.alerts import stats
from lims.alerts.models import AlertKind, AlertLevel, NoticeRow
from lims.businesses.models import SENSITIVE_KINDS, Business
from lims.extensions import db
from lims.foods.models import FoodCategoryNode, TestItemRecord
from lims.orgs.models import Region
from lims.results.models import ResultStatus, TestResult, Verdict
from lims.samples.models import Sample, SampleTest
from lims.stations.models import Market, RapidVerdict, StationResult
from lims.trace.services import key_food_node_ids

RAPID_DAYS = 7
RAPID_MIN_POSITIVES = 3
REPEAT_DAYS = 365


@dataclass
class Signal:
    key: str
    kind: AlertKind
    level: AlertLevel
    title: str
    detail: str = ""
    region_id: int | None = None
    variety: str | None = None
    item: str | None = None
    business_id: int | None = None
    evidence: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Failure:
    sample_id: int
    number: str
    business_id: int | None
    producer_id: int | None
    region_id: int
    subcategory_id: int
    variety: str
    item: str
    sampled_on: dt.date


def _sample_ev(f: Failure) -> dict:
    return {"type": "sample", "id": f.number, "label": f"{f.number} {f.variety} {f.item}"}


def failures(start: dt.date, end: dt.date, *, focus: Sample | None = None) -> list[Failure]:
    """Failing concluded (approved) results of samples taken in [start, end], by root sample;
    with ``focus``, only the sample itself and samples of its seller or producer."""
    child, root = aliased(Sample), aliased(Sample)
    query = (
        sa.select(root.id, root.number, root.business_id, root.producer_business_id,
                  root.business_region_id, root.subcategory_id, FoodCategoryNode.name_zh,
                  TestItemRecord.name_zh, root.sampled_on).select_from(TestResult)
        .join(SampleTest, SampleTest.id == TestResult.sample_test_id)
        .join(child, child.id == SampleTest.sample_id)
        .join(root, root.id == sa.func.coalesce(child.parent_id, child.id))
        .join(FoodCategoryNode, FoodCategoryNode.id == root.subcategory_id)
        .join(TestItemRecord, TestItemRecord.id == SampleTest.test_item_id)
        .where(TestResult.verdict == Verdict.FAIL.value,
               TestResult.status == ResultStatus.APPROVED,
               root.sampled_on >= start, root.sampled_on <= end)
        .order_by(root.sampled_on, root.id))
    if focus is not None:
        ids = [i for i in (focus.business_id, focus.producer_business_id) if i]
        query = query.where(sa.or_(root.id == focus.id, root.business_id.in_(ids or [-1]),
                                   root.producer_business_id.in_(ids or [-1])))
    return [Failure(*r) for r in db.session.execute(query).all()]


# --- failure rate above baseline ------------------------------------------------------------

def rate_groups(as_of: dt.date, *, variety: str | None = None) -> dict[tuple[int, str, str], list[int]]:
    """(region, 细类, item) → [window tests, window failures, baseline tests, baseline fails]."""
    window_start = as_of - dt.timedelta(days=stats.WINDOW_DAYS - 1)
    base_start = window_start - dt.timedelta(days=stats.BASELINE_DAYS)
    child, root = aliased(Sample), aliased(Sample)
    in_window = root.sampled_on >= window_start
    failed = TestResult.verdict == Verdict.FAIL.value
    one = sa.literal(1)

    def count(cond):
        return sa.func.sum(sa.case((cond, one), else_=0))

    query = (sa.select(root.business_region_id, FoodCategoryNode.name_zh, TestItemRecord.name_zh,
                       count(in_window), count(sa.and_(in_window, failed)),
                       count(sa.not_(in_window)), count(sa.and_(sa.not_(in_window), failed)))
             .select_from(TestResult)
             .join(SampleTest, SampleTest.id == TestResult.sample_test_id)
             .join(child, child.id == SampleTest.sample_id)
             .join(root, root.id == sa.func.coalesce(child.parent_id, child.id))
             .join(FoodCategoryNode, FoodCategoryNode.id == root.subcategory_id)
             .join(TestItemRecord, TestItemRecord.id == SampleTest.test_item_id)
             .where(TestResult.status == ResultStatus.APPROVED, root.sampled_on >= base_start,
                    root.sampled_on <= as_of)
             .group_by(root.business_region_id, FoodCategoryNode.name_zh, TestItemRecord.name_zh))
    if variety is not None:
        query = query.where(FoodCategoryNode.name_zh == variety)
    groups = {}
    for r in db.session.execute(query):
        groups[(r[0], r[1], r[2])] = [int(v or 0) for v in r[3:]]
    return groups


def rate_signals(as_of: dt.date, *, variety: str | None = None) -> list[Signal]:
    groups = rate_groups(as_of, variety=variety)
    prefecture: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (_region, v, item), counts in groups.items():
        acc = prefecture[(v, item)]
        for i in range(4):
            acc[i] += counts[i]
    regions = {r.id: r.name for r in db.session.scalars(sa.select(Region))}
    month = as_of.strftime("%Y-%m")
    signals = []
    scopes = [((region, v, item), counts) for (region, v, item), counts in groups.items()]
    scopes += [((None, v, item), counts) for (v, item), counts in prefecture.items()]
    for (region, v, item), (n, x, n0, x0) in sorted(scopes, key=lambda s: (s[0][0] or 0,
                                                                            s[0][1], s[0][2])):
        fires, p_value, p0 = stats.spike(n, x, n0, x0)
        if not fires:
            continue
        where = regions.get(region, "全州") if region else "全州"
        signals.append(Signal(
            key=f"rate:{region or 'all'}:{v}:{item}:{month}", kind=AlertKind.RATE_SPIKE,
            level=AlertLevel.RED if p_value < stats.ALPHA / 10 else AlertLevel.ORANGE,
            title=f"{where}{v}“{item}”不合格率升高：近{stats.WINDOW_DAYS}天 {x}/{n}",
            detail=(f"单侧精确二项检验：近{stats.WINDOW_DAYS}天 {n} 项次中 {x} 项不合格；"
                    f"此前12个月基线 {x0}/{n0}，基线率 p0=(x0+1)/(n0+2)={p0:.4f}；"
                    f"P(X≥{x})={p_value:.2e} < α={stats.ALPHA}，最少不合格数 "
                    f"{stats.MIN_FAILURES}"),
            region_id=region, variety=v, item=item))
    return signals


# --- events among failures ------------------------------------------------------------------

def event_signals(as_of: dt.date, *, window_days: int = stats.WINDOW_DAYS,
                  focus: Sample | None = None) -> list[Signal]:
    """Repeat offenders, producers failing in two counties, first failures of an item for a
    food, 重点食品 and school-canteen / 农村集体聚餐 failures.  With ``focus`` (a sample whose
    results just concluded) only the failures that sample can add to are read."""
    rows = failures(as_of - dt.timedelta(days=REPEAT_DAYS - 1), as_of, focus=focus)
    recent_start = as_of - dt.timedelta(days=window_days - 1)
    signals: list[Signal] = []
    by_sample: dict[int, list[Failure]] = defaultdict(list)
    for f in rows:
        by_sample[f.sample_id].append(f)
    business_ids = {f.business_id for f in rows if f.business_id} | \
        {f.producer_id for f in rows if f.producer_id}
    businesses = {b.id: b for b in db.session.scalars(
        sa.select(Business).where(Business.id.in_(list(business_ids) or [-1])))}
    # repeat offender: a business with two failing samples within 12 months, the last recent
    seller_samples: dict[int, list[Failure]] = defaultdict(list)
    producer_samples: dict[int, list[Failure]] = defaultdict(list)
    for sample_failures in by_sample.values():
        f = sample_failures[0]
        if f.business_id:
            seller_samples[f.business_id].append(f)
        if f.producer_id:
            producer_samples[f.producer_id].append(f)
    for kind_samples, role in ((seller_samples, "被抽样单位"), (producer_samples, "生产者")):
        for bid, fs in sorted(kind_samples.items()):
            if len(fs) >= 2 and fs[-1].sampled_on >= recent_start:
                b = businesses[bid]
                signals.append(Signal(
                    key=f"repeat:{bid}:{fs[-1].sample_id}", kind=AlertKind.REPEAT_OFFENDER,
                    level=AlertLevel.ORANGE,
                    title=f"{role}“{b.name}”12个月内再次不合格（{len(fs)}批次）",
                    detail="12个月内同一经营主体不合格批次：" + "、".join(f.number for f in fs),
                    region_id=b.region_id, variety=fs[-1].variety, item=fs[-1].item,
                    business_id=bid,
                    evidence=[{"type": "business", "id": bid, "label": b.name}]
                    + [_sample_ev(f) for f in fs]))
    for bid, fs in sorted(producer_samples.items()):
        counties = sorted({f.region_id for f in fs})
        if len(counties) >= 2 and fs[-1].sampled_on >= recent_start:
            b = businesses[bid]
            signals.append(Signal(
                key=f"counties:{bid}:{'-'.join(map(str, counties))}",
                kind=AlertKind.PRODUCER_COUNTIES, level=AlertLevel.RED,
                title=f"生产者“{b.name}”的产品在{len(counties)}个县市不合格",
                detail="12个月内不合格样品：" + "、".join(f.number for f in fs),
                variety=fs[-1].variety, item=fs[-1].item, business_id=bid,
                evidence=[{"type": "business", "id": bid, "label": b.name}]
                + [_sample_ev(f) for f in fs]))
    recent = [f for f in rows if f.sampled_on >= recent_start]
    signals += _first_failures(recent, recent_start)
    key_nodes = key_food_node_ids()
    for f in recent:
        key = key_nodes.get(f.subcategory_id)
        if key is not None:
            signals.append(Signal(
                key=f"keyfood:{f.sample_id}:{f.item}", kind=AlertKind.KEY_FOOD,
                level=AlertLevel.ORANGE, title=f"重点食品（{key.name}）不合格：{f.variety} {f.item}",
                detail=f"重点食品清单：{key.source}", region_id=f.region_id, variety=f.variety,
                item=f.item, business_id=f.business_id, evidence=[_sample_ev(f)]))
        seller = businesses.get(f.business_id) if f.business_id else None
        if seller is not None and seller.kind in SENSITIVE_KINDS:
            signals.append(Signal(
                key=f"sensitive:{f.sample_id}:{f.item}", kind=AlertKind.SENSITIVE_SUPPLIER,
                level=AlertLevel.RED,
                title=f"学校食堂/农村集体聚餐供应者“{seller.name}”样品不合格：{f.variety} {f.item}",
                region_id=f.region_id, variety=f.variety, item=f.item, business_id=seller.id,
                evidence=[{"type": "business", "id": seller.id, "label": seller.name},
                          _sample_ev(f)]))
    return signals


def _first_failures(recent: list[Failure], since: dt.date) -> list[Signal]:
    """(细类, item) pairs whose first failure ever is within the window."""
    pairs = {(f.variety, f.item) for f in recent}
    if not pairs:
        return []
    child, root = aliased(Sample), aliased(Sample)
    earlier = set(db.session.execute(
        sa.select(FoodCategoryNode.name_zh, TestItemRecord.name_zh).select_from(TestResult)
        .join(SampleTest, SampleTest.id == TestResult.sample_test_id)
        .join(child, child.id == SampleTest.sample_id)
        .join(root, root.id == sa.func.coalesce(child.parent_id, child.id))
        .join(FoodCategoryNode, FoodCategoryNode.id == root.subcategory_id)
        .join(TestItemRecord, TestItemRecord.id == SampleTest.test_item_id)
        .where(TestResult.verdict == Verdict.FAIL.value, root.sampled_on < since,
               FoodCategoryNode.name_zh.in_({v for v, _ in pairs}))
        .group_by(FoodCategoryNode.name_zh, TestItemRecord.name_zh)).tuples())
    signals = []
    for variety, item in sorted(pairs - earlier):
        first = [f for f in recent if (f.variety, f.item) == (variety, item)]
        signals.append(Signal(
            key=f"new:{variety}:{item}", kind=AlertKind.NEW_FAILURE, level=AlertLevel.YELLOW,
            title=f"{variety}首次出现“{item}”不合格",
            detail=f"此前没有{variety}“{item}”不合格的记录",
            region_id=first[0].region_id, variety=variety, item=item,
            evidence=[_sample_ev(f) for f in first]))
    return signals


# --- rapid positives clustering -------------------------------------------------------------

def rapid_signals(as_of: dt.date) -> list[Signal]:
    start = as_of - dt.timedelta(days=RAPID_DAYS - 1)
    rows = db.session.execute(
        sa.select(StationResult.id, StationResult.market_id, StationResult.test_item,
                  StationResult.tested_on, StationResult.food_name)
        .where(StationResult.server_verdict == RapidVerdict.POSITIVE,
               StationResult.tested_on >= start, StationResult.tested_on <= as_of)
        .order_by(StationResult.tested_on, StationResult.id)).all()
    groups: dict[tuple[int, str], list] = defaultdict(list)
    for r in rows:
        groups[(r.market_id, r.test_item)].append(r)
    markets = {m.id: m for m in db.session.scalars(sa.select(Market).where(
        Market.id.in_([k[0] for k in groups] or [-1])))}
    signals = []
    for (market_id, item), rs in sorted(groups.items()):
        if len(rs) < RAPID_MIN_POSITIVES:
            continue
        market = markets[market_id]
        signals.append(Signal(
            key=f"rapid:{market_id}:{item}:{rs[0].tested_on.isoformat()}",
            kind=AlertKind.RAPID_CLUSTER, level=AlertLevel.YELLOW,
            title=f"{market.name}“{item}”快检阳性聚集：{RAPID_DAYS}天内 {len(rs)} 份",
            detail=f"{start.isoformat()}–{as_of.isoformat()} 同一市场同一项目快检阳性 "
                   f"{len(rs)} 份（阈值 {RAPID_MIN_POSITIVES} 份）",
            region_id=market.region_id, variety=rs[-1].food_name, item=item,
            evidence=[{"type": "rapid", "id": r.id,
                       "label": f"{r.tested_on.isoformat()} {r.food_name} {item}"} for r in rs]))
    return signals


# --- outside notices ------------------------------------------------------------------------

def notice_signals(rows: list[NoticeRow] | None = None) -> list[Signal]:
    """A producer failing in a published notice that supplies this prefecture."""
    if rows is None:
        rows = list(db.session.scalars(sa.select(NoticeRow).order_by(NoticeRow.id)))
    if not rows:
        return []
    keys = {r.producer_key for r in rows}
    suppliers = {}
    for b in db.session.scalars(sa.select(Business).where(Business.name_key.in_(keys),
                                                          Business.merged_into_id.is_(None))):
        supplies = db.session.scalar(sa.select(sa.func.count(Sample.id)).where(sa.or_(
            Sample.producer_business_id == b.id, Sample.business_id == b.id)))
        if supplies:
            suppliers.setdefault(b.name_key, (b, supplies))
    signals = []
    for r in rows:
        if r.producer_key not in suppliers:
            continue
        b, supplies = suppliers[r.producer_key]
        signals.append(Signal(
            key=f"notice:{r.id}:{b.id}", kind=AlertKind.OUTSIDE_NOTICE, level=AlertLevel.ORANGE,
            title=f"外地公告不合格：“{b.name}”的{r.food_name}（{r.item}）",
            detail=f"公告号 {r.notice_number}；批号 {r.batch or '—'}；结果 {r.result or '—'}，"
                   f"标准值 {r.limit_text or '—'}；本州有该生产者的样品 {supplies} 批次",
            region_id=b.region_id, variety=r.food_name, item=r.item, business_id=b.id,
            evidence=[{"type": "notice", "id": r.import_id, "label": f"{r.notice_number} "
                       f"{r.food_name}"}, {"type": "business", "id": b.id, "label": b.name}]))
    return signals


def detect_all(as_of: dt.date) -> list[Signal]:
    return rate_signals(as_of) + event_signals(as_of) + rapid_signals(as_of) + notice_signals()
