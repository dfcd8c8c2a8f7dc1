"""Standards test-item coverage: which items of the sampling rules the network can test.

The denominator is every test item of the current 实施细则 edition — each (细类, 检验项目)
row — plus the local-standard items imported into it (``lims taxonomy import-local``).
An item is *covered* by a lab when the lab holds a capability for it on the day
(``lims.capabilities.services.matches``: item-specific, or the analyte within a food scope
that contains the item's 细类), and

* the capability's method is one the rules allow for the item (or the method it declares
  itself equivalent to, ``equivalent_to``); an item whose table names no method accepts any;
* its LOQ is low enough: LOQ ≤ the item's limit from the limit library (analyte in the
  细类, then its 品种/亚类/大类 names).  Items without a numeric limit (不得检出, 不得使用,
  sampling plans, no limit in the library) count the LOQ as sufficient.  A numeric limit
  and a capability without a declared LOQ (or with a unit that does not convert) do not:
  nothing shows that the method reaches the limit.

Two figures are kept: *covered* (method and LOQ) — the plan's figure — and *covered by
method* (LOQ not checked), so the effect of the LOQ check is visible.

The reference data (about 1,900 items, a few thousand capabilities, the limit library)
is matched in memory once and cached until any of it changes; the per-sample figures
(how many samples needed an item) are SQL aggregates over the sample tables.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from lims.capabilities.fitness import (  # noqa: F401 (normalise_method: used by callers)
    METHOD_NOT_ALLOWED,
    OK,
    Limit,
    allowed_methods,
    fitness,
    item_limit,
    loq_status,
    normalise_method,
)
from lims.capabilities.models import LabCapability
from lims.core.localtime import local_today
from lims.extensions import db
from lims.foods.models import FoodCategoryNode, RulesEdition, TestItemRecord
from lims.orgs.models import Organization, OrgTier

TARGET = Decimal("0.80")

TIERS = ("prefecture", "counties", "network")
TIER_ZH = {"prefecture": "州级实验室", "counties": "县级实验室", "network": "全州检验网络"}

# Why an item is not covered (by the whole network); the gap list shows the reason.
REASON_ZH = {
    "no_capability": "无实验室具备该项目能力",
    "method_not_allowed": "已有能力的方法不在细则规定方法之列",
    "loq_above_limit": "定量限高于限量",
    "loq_not_declared": "未申报定量限（该项目有数值限量）",
    "unit_mismatch": "定量限与限量单位无法换算",
}

NO_FAMILY = "未注明"

_YEAR = re.compile(r"-(19|20)\d{2}$")


@dataclass
class ItemCoverage:
    item_id: int
    code: str
    name: str
    subcategory: str
    category_code: str
    category: str
    families: tuple[str, ...]
    local_standard: str | None
    limit_text: str | None
    limit_numeric: bool
    covered: dict[str, bool] = field(default_factory=dict)         # tier -> method and LOQ
    covered_method: dict[str, bool] = field(default_factory=dict)  # tier -> method only
    labs: list[str] = field(default_factory=list)  # labs that cover it (method and LOQ)
    reason: str | None = None  # network-level reason when not covered


@dataclass(frozen=True)
class CoverageRow:
    key: str
    label: str
    items: int
    covered: int
    covered_method: int

    @property
    def rate(self) -> Decimal | None:
        return _ratio(self.covered, self.items)

    @property
    def rate_method(self) -> Decimal | None:
        return _ratio(self.covered_method, self.items)

    @property
    def meets_target(self) -> bool:
        return self.rate is not None and self.rate >= TARGET

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "items": self.items,
                "covered": self.covered, "rate": _num(self.rate),
                "covered_by_method": self.covered_method,
                "rate_by_method": _num(self.rate_method), "meets_target": self.meets_target}


def _ratio(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# --- the item table (reference data, cached) -----------------------------------------------

_cache: dict[tuple, list[ItemCoverage]] = {}
_cache_lock = threading.Lock()


def _signature(edition_id: int, on: dt.date) -> tuple:
    from lims.limits.services import _library_signature

    items = db.session.execute(sa.select(
        sa.func.count(TestItemRecord.id), sa.func.max(TestItemRecord.updated_at))
        .where(TestItemRecord.edition_id == edition_id)).one()
    caps = db.session.execute(sa.select(
        sa.func.count(LabCapability.id), sa.func.max(LabCapability.updated_at))).one()
    orgs = db.session.execute(sa.select(sa.func.max(Organization.updated_at))).one()
    return (str(db.engine.url), edition_id, on, *items, *caps, *orgs, *_library_signature())


def item_table(on: dt.date | None = None) -> list[ItemCoverage]:
    """Every item of the current edition with the tiers that cover it on ``on``."""
    from lims.foods.services import current_edition

    on = on or local_today()
    edition = current_edition()
    if edition is None:
        return []
    key = _signature(edition.id, on)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    table = _build_item_table(edition, on)
    with _cache_lock:
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = table
    return table


_Limit = Limit
_item_limit = item_limit
_loq_status = loq_status


def _build_item_table(edition: RulesEdition, on: dt.date) -> list[ItemCoverage]:
    from lims.limits.services import library_index

    nodes = {row.id: row for row in db.session.execute(
        sa.select(FoodCategoryNode.id, FoodCategoryNode.code, FoodCategoryNode.parent_id,
                  FoodCategoryNode.name_zh).where(FoodCategoryNode.edition_id == edition.id))}

    def path(node_id: int) -> list:
        chain = []
        node = nodes.get(node_id)
        while node is not None:
            chain.append(node)
            node = nodes.get(node.parent_id) if node.parent_id else None
        return chain  # most specific first, 大类 last

    caps = db.session.execute(
        sa.select(LabCapability.test_item_id, LabCapability.analyte_key,
                  LabCapability.food_scope_code, LabCapability.method_standard,
                  LabCapability.equivalent_to, LabCapability.loq, LabCapability.unit,
                  Organization.code, Organization.tier)
        .join(Organization, Organization.id == LabCapability.org_id)
        .where(LabCapability.active.is_(True), Organization.active.is_(True),
               Organization.tier.in_([OrgTier.PREFECTURE_LAB, OrgTier.COUNTY_LAB]),
               sa.or_(LabCapability.valid_from.is_(None), LabCapability.valid_from <= on),
               sa.or_(LabCapability.valid_until.is_(None), LabCapability.valid_until >= on))
    ).all()
    by_item: dict[int, list] = defaultdict(list)
    by_analyte: dict[str, list] = defaultdict(list)
    for cap in caps:
        if cap.test_item_id is not None:
            by_item[cap.test_item_id].append(cap)
        else:
            by_analyte[cap.analyte_key].append(cap)

    index = library_index()
    items = db.session.execute(
        sa.select(TestItemRecord.id, TestItemRecord.code, TestItemRecord.name_zh,
                  TestItemRecord.analyte_key, TestItemRecord.subcategory_id,
                  TestItemRecord.basis_family, TestItemRecord.method_standards,
                  TestItemRecord.local_standard)
        .where(TestItemRecord.edition_id == edition.id).order_by(TestItemRecord.id)).all()
    table = []
    for item in items:
        chain = path(item.subcategory_id)
        scopes = {n.code for n in chain}
        top = chain[-1] if chain else None
        limit = _item_limit(index, item.name_zh, [n.name_zh for n in chain], on)
        allowed = allowed_methods(item.method_standards)
        families = tuple(f for f in item.basis_family.split("|") if f) or (NO_FAMILY,)
        row = ItemCoverage(
            item_id=item.id, code=item.code, name=item.name_zh,
            subcategory=chain[0].name_zh if chain else "", category_code=top.code if top else "",
            category=top.name_zh if top else "", families=families,
            local_standard=item.local_standard, limit_text=limit.text,
            limit_numeric=limit.value is not None)
        candidates = list(by_item.get(item.id, ()))
        candidates += [c for c in by_analyte.get(item.analyte_key, ())
                       if c.food_scope_code is None or c.food_scope_code in scopes]
        reasons = set()
        for tier in TIERS:
            row.covered[tier] = row.covered_method[tier] = False
        for cap in candidates:
            tier = "prefecture" if cap.tier == OrgTier.PREFECTURE_LAB else "counties"
            # the one rule routing uses too (lims.capabilities.fitness)
            status = fitness(cap, allowed, limit)
            if status == METHOD_NOT_ALLOWED:
                reasons.add(status)
                continue
            row.covered_method[tier] = row.covered_method["network"] = True
            if status != OK:
                reasons.add(status)
                continue
            row.covered[tier] = row.covered["network"] = True
            if cap.code not in row.labs:
                row.labs.append(cap.code)
        if not row.covered["network"]:
            order = ("loq_above_limit", "unit_mismatch", "loq_not_declared",
                     "method_not_allowed")
            row.reason = next((r for r in order if r in reasons), "no_capability")
        table.append(row)
    return table


# --- the figures --------------------------------------------------------------------------

def _rows(table: list[ItemCoverage], key_of, label_of, tier: str = "network"
          ) -> list[CoverageRow]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    labels: dict[str, str] = {}
    for item in table:
        for key in key_of(item):
            entry = counts[key]
            entry[0] += 1
            entry[1] += item.covered[tier]
            entry[2] += item.covered_method[tier]
            labels[key] = label_of(item, key)
    return [CoverageRow(k, labels[k], *v) for k, v in counts.items()]


def _category_sort(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[-.]", code))


@dataclass(frozen=True)
class GapItem:
    item: ItemCoverage
    samples: int  # tests of the period that needed the item (samples, after splits)

    def as_dict(self) -> dict:
        i = self.item
        return {"item_code": i.code, "item": i.name, "subcategory": i.subcategory,
                "category": i.category, "basis": list(i.families), "limit": i.limit_text,
                "local_standard": i.local_standard, "reason": i.reason,
                "reason_zh": REASON_ZH.get(i.reason or "", ""), "samples": self.samples,
                "covered_by_method": i.covered_method["network"]}


def coverage_report(period=None, *, region_id: int | None = None,
                    on: dt.date | None = None, gap_limit: int | None = None) -> dict:
    """All coverage figures as plain data (the page, the CLI and the API print this)."""
    from lims.stats import rollup

    rollup.prepare()
    on = on or (min(period.end, local_today()) if period else local_today())
    table = item_table(on)
    tiers = []
    for tier in TIERS:
        overall = _rows(table, lambda i: ("all",), lambda i, k: "", tier)
        row = overall[0] if overall else CoverageRow("all", TIER_ZH[tier], 0, 0, 0)
        tiers.append(CoverageRow(tier, TIER_ZH[tier], row.items, row.covered,
                                 row.covered_method))
    network = tiers[-1]
    by_category = sorted(_rows(table, lambda i: (i.category_code,), lambda i, k: i.category),
                         key=lambda r: _category_sort(r.key))
    by_basis = sorted(_rows(table, lambda i: i.families, lambda i, k: k),
                      key=lambda r: (-r.items, r.key))
    local = _rows(table, lambda i: ("local",) if i.local_standard else (),
                  lambda i, k: "地方标准")
    counts = item_test_counts(period, region_id) if period else {}
    gaps = [GapItem(i, counts.get(i.item_id, (0, 0))[0]) for i in table if not i.covered["network"]]
    gaps.sort(key=lambda g: (-g.samples, _category_sort(g.item.code.split(":")[0]),
                             g.item.code))
    return {
        "as_of": on.isoformat(),
        "period": period.as_dict() if period else None,
        "target": float(TARGET),
        "items": network.items,
        "covered": network.covered,
        "rate": _num(network.rate),
        "covered_by_method": network.covered_method,
        "rate_by_method": _num(network.rate_method),
        "meets_target": network.meets_target,
        "local_items": local[0].items if local else 0,
        "by_tier": [r.as_dict() for r in tiers],
        "by_category": [r.as_dict() for r in by_category],
        "by_basis": [r.as_dict() for r in by_basis],
        "gaps": [g.as_dict() for g in (gaps[:gap_limit] if gap_limit else gaps)],
        "gap_count": len(gaps),
        "tested_ratio": tested_ratio(counts) if period else None,
        "definition": (
            "覆盖：至少一个实验室在该日持有有效能力，方法为细则规定方法（或声明等效方法），"
            "且定量限不高于该项目在该细类食品中的限量；无数值限量（不得检出、不得使用、"
            "采样方案或限量库未收录）的项目视定量限为满足。有数值限量而未申报定量限的能力不计入。"),
    }


def item_test_counts(period, region_id: int | None = None) -> dict[int, tuple[int, int]]:
    """test item id -> (tests the period's samples needed, tests of them with a TestResult).

    Read from the rollup (lims.stats.models.StatsItemCount): one small grouped pass gives
    both the gap list's order and the tested ÷ required figure.
    """
    from lims.stats import rollup

    return {item: (required, tested)
            for item, (required, tested, _failed) in rollup.item_counts(period, region_id).items()}


def tested_ratio(counts: dict[int, tuple[int, int]]) -> dict:
    """Items tested ÷ items required by the samples of the period (SampleTest rows; a test
    is done when it has a TestResult)."""
    required = sum(r for r, _ in counts.values())
    tested = sum(t for _, t in counts.values())
    return {"required": required, "tested": tested, "rate": _num(_ratio(tested, required))}
