"""Traceability queries, the 重点食品 list, business history and reviewed merges."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from lims.audit.context import change_reason
from lims.businesses.models import Business, BusinessMergeProposal, MergeState
from lims.businesses.services import normalise_name
from lims.core.db import utcnow
from lims.extensions import db
from lims.foods.models import FoodCategoryNode, TestItemRecord
from lims.results.models import ResultStatus, TestResult, Verdict
from lims.samples.links import link_businesses
from lims.samples.models import Sample, SampleTest
from lims.stations.models import Market, RapidVerdict, StationResult
from lims.users.models import User

KEY_FOODS = Path(__file__).parent / "data" / "key_foods.csv"


class TraceError(ValueError):
    """A refused traceability operation (Chinese message)."""


# --- 重点食品 --------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyFood:
    code: str
    name: str
    verified: bool
    source: str


@lru_cache(maxsize=1)
def key_foods() -> tuple[KeyFood, ...]:
    with KEY_FOODS.open(encoding="utf-8") as fh:
        return tuple(KeyFood(r["category_code"], r["name"], r["verified"] == "yes", r["source"])
                     for r in csv.DictReader(fh))


def key_food_node_ids() -> dict[int, KeyFood]:
    """细类 node id → the 重点食品 entry it falls under (any edition)."""
    codes = {k.code: k for k in key_foods()}
    nodes = db.session.execute(sa.select(FoodCategoryNode.id, FoodCategoryNode.code,
                                         FoodCategoryNode.parent_id,
                                         FoodCategoryNode.level)).all()
    by_id = {n.id: n for n in nodes}
    result = {}
    for node in nodes:
        if node.level != 4:
            continue
        current = node
        while current is not None:
            if current.code in codes:
                result[node.id] = codes[current.code]
                break
            current = by_id.get(current.parent_id)
    return result


def traceability_share(start: dt.date, end: dt.date) -> list[dict]:
    """Per 重点食品: its samples in [start, end] and how many carry producer and batch."""
    ids = key_food_node_ids()
    rows = db.session.execute(
        sa.select(Sample.subcategory_id, Sample.producer, Sample.batch_number)
        .where(Sample.parent_id.is_(None), Sample.sampled_on >= start, Sample.sampled_on <= end,
               Sample.subcategory_id.in_(list(ids) or [-1]))).all()
    table = {k.code: {"code": k.code, "name": k.name, "verified": k.verified, "samples": 0,
                      "traceable": 0} for k in key_foods()}
    for sub_id, producer, batch in rows:
        entry = table[ids[sub_id].code]
        entry["samples"] += 1
        if (producer or "").strip() and (batch or "").strip():
            entry["traceable"] += 1
    for entry in table.values():
        entry["share"] = entry["traceable"] / entry["samples"] if entry["samples"] else None
    return list(table.values())


# --- failures and tracing ------------------------------------------------------------------

def failing_items(sample: Sample) -> list[str]:
    """Names of the items that failed on the sample or its sub-samples (approved or not)."""
    root = sample.root
    ids = [root.id] + [c.id for c in root.children]
    return list(db.session.scalars(
        sa.select(TestItemRecord.name_zh).join(SampleTest, SampleTest.test_item_id ==
                                               TestItemRecord.id)
        .join(TestResult, TestResult.sample_test_id == SampleTest.id)
        .where(SampleTest.sample_id.in_(ids), TestResult.verdict == Verdict.FAIL.value)
        .order_by(TestItemRecord.name_zh)).unique())


def failed_sample_ids(sample_ids: list[int]) -> set[int]:
    """Root sample ids among ``sample_ids`` with a failing approved result (theirs or a child's)."""
    if not sample_ids:
        return set()
    child = aliased(Sample)
    root_id = sa.func.coalesce(child.parent_id, child.id)
    return set(db.session.scalars(
        sa.select(root_id).select_from(TestResult)
        .join(SampleTest, SampleTest.id == TestResult.sample_test_id)
        .join(child, child.id == SampleTest.sample_id)
        .where(root_id.in_(sample_ids), TestResult.verdict == Verdict.FAIL.value,
               TestResult.status == ResultStatus.APPROVED)).unique())


def _samples(where) -> list[Sample]:
    return list(db.session.scalars(sa.select(Sample).where(Sample.parent_id.is_(None), where)
                                   .order_by(Sample.sampled_on.desc(), Sample.id.desc())
                                   .limit(500)))


def rapid_results_of(business: Business, limit: int = 200) -> list[StationResult]:
    """Rapid results whose vendor is the business (normalised name), any market."""
    if not business.name_key:
        return []
    rows = db.session.scalars(sa.select(StationResult).where(StationResult.vendor.is_not(None))
                              .where(StationResult.vendor.contains(business.name[:20]))
                              .order_by(StationResult.tested_on.desc()).limit(limit * 2))
    return [r for r in rows if normalise_name(r.vendor or "") == business.name_key][:limit]


@dataclass
class Trace:
    sample: Sample
    items: list[str]
    same_producer: list[Sample]
    same_batch: list[Sample]
    same_seller: list[Sample]
    rapid: list[StationResult]
    failed: set[int]


def trace_sample(sample: Sample) -> Trace:
    """Every sample of the same producer, the same batch and the same seller, any county."""
    root = sample.root
    not_self = Sample.id != root.id
    producer = _samples(sa.and_(not_self, Sample.producer_business_id ==
                                root.producer_business_id)) if root.producer_business_id else []
    batch = []
    if (root.batch_number or "").strip():
        same = Sample.batch_number == root.batch_number
        if root.producer_business_id:
            same = sa.and_(same, Sample.producer_business_id == root.producer_business_id)
        else:
            same = sa.and_(same, Sample.food_name == root.food_name)
        batch = _samples(sa.and_(not_self, same))
    seller = _samples(sa.and_(not_self, Sample.business_id == root.business_id)) \
        if root.business_id else []
    rapid = rapid_results_of(root.business) if root.business is not None else []
    ids = [s.id for s in producer + batch + seller] + [root.id]
    return Trace(root, failing_items(root), producer, batch, seller, rapid,
                 failed_sample_ids(ids))


@dataclass
class History:
    business: Business
    as_seller: list[Sample]
    as_producer: list[Sample]
    failed: set[int]
    rapid: list[StationResult]
    positives: int
    proposals: list[BusinessMergeProposal]


def business_history(business: Business) -> History:
    seller = _samples(Sample.business_id == business.id)
    producer = _samples(Sample.producer_business_id == business.id)
    rapid = rapid_results_of(business)
    proposals = list(db.session.scalars(sa.select(BusinessMergeProposal).where(
        sa.or_(BusinessMergeProposal.source_id == business.id,
               BusinessMergeProposal.target_id == business.id))
        .order_by(BusinessMergeProposal.id)))
    return History(business, seller, producer,
                   failed_sample_ids([s.id for s in seller + producer]), rapid,
                   sum(1 for r in rapid if r.server_verdict == RapidVerdict.POSITIVE), proposals)


def businesses(text: str = "", limit: int = 200) -> list[Business]:
    query = sa.select(Business).where(Business.merged_into_id.is_(None))
    if text.strip():
        key = normalise_name(text)
        query = query.where(sa.or_(Business.name_key.contains(key, autoescape=True),
                                   Business.credit_code == text.strip().upper()))
    return list(db.session.scalars(query.order_by(Business.name_key).limit(limit)))


def market_of(result: StationResult) -> Market | None:
    return db.session.get(Market, result.market_id)


# --- merges (a reviewed action, in the audit trail) ----------------------------------------

def merge(proposal: BusinessMergeProposal, user: User, note: str) -> Business:
    """Merge the proposal's source record into its target: samples move, the source stays
    as a pointer.  Every change is audited with the reviewer's note as the reason."""
    if proposal.state != MergeState.PROPOSED:
        raise TraceError("该合并建议已处理")
    if not (note or "").strip():
        raise TraceError("合并须填写审核意见")
    source, target = proposal.source, proposal.target
    if source.credit_code and target.credit_code and source.credit_code != target.credit_code:
        raise TraceError("两条记录的统一社会信用代码不同，不能合并")
    with change_reason(f"合并经营主体：{note.strip()}"):
        for sample in db.session.scalars(sa.select(Sample).where(sa.or_(
                Sample.business_id == source.id, Sample.producer_business_id == source.id))):
            if sample.business_id == source.id:
                sample.business_id = target.id
            if sample.producer_business_id == source.id:
                sample.producer_business_id = target.id
        if source.credit_code and not target.credit_code:
            code, source.credit_code = source.credit_code, None
            db.session.flush()
            target.credit_code = code
        source.merged_into_id = target.id
        proposal.state = MergeState.MERGED
        proposal.reviewed_by_id, proposal.reviewed_at = user.id, utcnow()
        proposal.note = note.strip()
        db.session.flush()
    return target


def reject(proposal: BusinessMergeProposal, user: User, note: str) -> None:
    if proposal.state != MergeState.PROPOSED:
        raise TraceError("该合并建议已处理")
    with change_reason(f"不合并：{(note or '').strip() or '审核认为不是同一主体'}"):
        proposal.state = MergeState.REJECTED
        proposal.reviewed_by_id, proposal.reviewed_at = user.id, utcnow()
        proposal.note = (note or "").strip() or None
        db.session.flush()


def link_unlinked_samples(batch: int = 500) -> int:
    """Link samples registered before business records existed (the rule receipt uses)."""
    done, last_id = 0, 0
    while True:
        rows = list(db.session.scalars(sa.select(Sample).where(
            Sample.parent_id.is_(None), Sample.business_id.is_(None), Sample.id > last_id)
            .order_by(Sample.id).limit(batch)))
        if not rows:
            return done
        for sample in rows:
            link_businesses(sample)
        db.session.flush()
        done += len(rows)
        last_id = rows[-1].id
