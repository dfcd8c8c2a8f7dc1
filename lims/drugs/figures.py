"""Drug figures of the plan: supervisory sampling qualified rate (target ≥ 99%) by county and
link, 地产基本药物 coverage (every listed medicine of every local producer sampled in the
period), and standards test-item coverage of the drug monographs (apart and with food)."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from lims.capabilities.models import LabCapability
from lims.drugs.models import LINK_ZH, DrugSample, SupplyLink
from lims.drugs.services import DRUG_CATEGORY_CODE, find_edition
from lims.extensions import db
from lims.foods.models import TestItemRecord
from lims.orgs.models import Region
from lims.results.models import ResultStatus, TestResult
from lims.samples.models import Sample, SampleTest, TaskType

QUALIFIED_TARGET = 0.99
LOCAL_LIST = Path(__file__).with_name("data") / "local_essential_medicines.toml"


@dataclass(frozen=True)
class LocalMedicine:
    name: str
    producer: str
    source: str
    verified: bool


def local_essential_medicines(path: Path = LOCAL_LIST) -> list[LocalMedicine]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [LocalMedicine(str(r["name"]), str(r["producer"]), str(r.get("source", "")),
                          bool(r.get("verified", False))) for r in data.get("medicine", [])]


def rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class Tally:
    judged: int = 0
    qualified: int = 0

    @property
    def rate(self) -> float | None:
        return rate(self.qualified, self.judged)


@dataclass
class DrugFigures:
    samples: int = 0
    supervision: Tally = field(default_factory=Tally)
    by_county: dict[str, Tally] = field(default_factory=dict)
    by_link: dict[str, Tally] = field(default_factory=dict)
    local_total: int = 0
    local_sampled: int = 0
    local_missing: list[LocalMedicine] = field(default_factory=list)
    local_unverified: bool = False
    drug_items: int = 0
    drug_items_covered: int = 0
    target: float = QUALIFIED_TARGET

    @property
    def local_rate(self) -> float | None:
        return rate(self.local_sampled, self.local_total)

    @property
    def item_rate(self) -> float | None:
        return rate(self.drug_items_covered, self.drug_items)


def _verdicts(root_ids: list[int]) -> dict[int, str | None]:
    """root sample id → 'pass' | 'fail' | None (not every test approved yet)."""
    if not root_ids:
        return {}
    root = sa.func.coalesce(Sample.parent_id, Sample.id)
    rows = db.session.execute(
        sa.select(root, SampleTest.id, TestResult.status, TestResult.verdict)
        .join(SampleTest, SampleTest.sample_id == Sample.id)
        .outerjoin(TestResult, TestResult.sample_test_id == SampleTest.id)
        .where(root.in_(root_ids), SampleTest.removed.is_(False))).all()
    out: dict[int, str | None] = {}
    for root_id, _test, status, verdict in rows:
        current = out.get(root_id, "pass")
        if current is None:
            continue
        if status != ResultStatus.APPROVED:
            out[root_id] = None
        else:
            out[root_id] = "fail" if verdict == "fail" else current
    return out


def drug_figures(start: dt.date, end: dt.date, region_id: int | None = None,
                 *, on: dt.date | None = None) -> DrugFigures:
    """Figures over drug samples sampled in [start, end] (one county when given)."""
    query = (sa.select(DrugSample, Sample, Region.name)
             .join(Sample, Sample.id == DrugSample.sample_id)
             .join(Region, Region.id == Sample.business_region_id)
             .where(Sample.sampled_on.between(start, end)))
    if region_id is not None:
        query = query.where(Sample.business_region_id == region_id)
    rows = db.session.execute(query).all()
    figures = DrugFigures(samples=len(rows))
    verdicts = _verdicts([s.id for _d, s, _r in rows])
    by_county: dict[str, Tally] = defaultdict(Tally)
    by_link: dict[str, Tally] = {LINK_ZH[link]: Tally() for link in SupplyLink}
    for drug, sample, county in rows:
        if sample.task_type != TaskType.SUPERVISION:
            continue
        verdict = verdicts.get(sample.id)
        if verdict is None:
            continue
        for tally in (figures.supervision, by_county[county], by_link[LINK_ZH[drug.link]]):
            tally.judged += 1
            tally.qualified += verdict == "pass"
    figures.by_county = dict(sorted(by_county.items()))
    figures.by_link = by_link
    listed = local_essential_medicines()
    sampled = {(d.generic_name, d.manufacturer) for d, _s, _r in rows}
    figures.local_total = len(listed)
    figures.local_missing = [m for m in listed if (m.name, m.producer) not in sampled]
    figures.local_sampled = figures.local_total - len(figures.local_missing)
    figures.local_unverified = any(not m.verified for m in listed)
    figures.drug_items, figures.drug_items_covered = item_coverage(on or end)
    return figures


def item_coverage(on: dt.date) -> tuple[int, int]:
    """(drug monograph items, items some lab has declared a capability for on ``on``)."""
    edition = find_edition()
    if edition is None:
        return 0, 0
    items = db.session.execute(sa.select(TestItemRecord.id, TestItemRecord.analyte_key).where(
        TestItemRecord.edition_id == edition.id, TestItemRecord.local_standard.is_(None))).all()
    capabilities = [c for c in db.session.scalars(sa.select(LabCapability).where(
        sa.or_(LabCapability.analyte_key.like("drug:%"),
               LabCapability.test_item_id.in_([i.id for i in items]))))
        if c.valid_on(on) and c.food_scope_code in (None, DRUG_CATEGORY_CODE)]
    by_item = {c.test_item_id for c in capabilities if c.test_item_id is not None}
    by_key = {c.analyte_key for c in capabilities if c.test_item_id is None}
    covered = sum(1 for i in items if i.id in by_item or i.analyte_key in by_key)
    return len(items), covered
