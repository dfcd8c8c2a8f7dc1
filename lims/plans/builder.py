"""The plan's arithmetic: plain functions of the inputs, no database, stable for the same inputs.

Rules (博州政办发〔2018〕69号, 三、2 and 四、㈡、4):
- samples per county per year ≥ 4 per 1,000 residents, of which ≥ 2 per 1,000 on varieties
  tested for pesticide or veterinary-drug residues;
- every variety the county produces or sells ≥ 20 samples;
- spread over the twelve months.

Allocation: every variety starts at the minimum (20); the residue shortfall goes to residue
varieties, then the total shortfall to all varieties, each shortfall split in proportion to
risk weights by the largest-remainder method (ties by variety name).  The weight of a variety
is its expected failures per sample, Σ over its test items of the failure rate of
(variety, item), each rate shrunk toward the prefecture's rate:
``(x_county + K·p_prefecture) / (n_county + K)`` with K = 20 samples; a variety never sampled
in the county or the prefecture gets the floor ``NEVER_SAMPLED_WEIGHT``; any other weight is at
least ``MIN_WEIGHT``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

PER_1000 = 4
RESIDUE_PER_1000 = 2
MIN_PER_VARIETY = 20
SHRINK_K = 20
NEVER_SAMPLED_WEIGHT = 0.05
MIN_WEIGHT = 0.01
MONTHS = 12


class PlanError(ValueError):
    """The inputs cannot give a plan that meets the rules (Chinese message)."""


@dataclass(frozen=True)
class ItemHistory:
    """Tests and failures of one (variety, item) in the county and in the prefecture."""

    item: str
    county_tests: int = 0
    county_failures: int = 0
    prefecture_tests: int = 0
    prefecture_failures: int = 0


@dataclass(frozen=True)
class VarietyInput:
    name: str
    residue: bool
    history: tuple[ItemHistory, ...] = ()


@dataclass(frozen=True)
class CountyInput:
    code: str
    name: str
    population: int
    varieties: tuple[VarietyInput, ...]


@dataclass
class CountyPlan:
    code: str
    name: str
    population: int
    target_total: int
    target_residue: int
    counts: dict[str, int] = field(default_factory=dict)          # variety → year total
    months: dict[str, list[int]] = field(default_factory=dict)    # variety → 12 counts
    weights: dict[str, float] = field(default_factory=dict)
    residue: dict[str, bool] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def residue_total(self) -> int:
        return sum(c for v, c in self.counts.items() if self.residue[v])


def targets(population: int) -> tuple[int, int]:
    """(total, residue) samples a year for a population: ⌈4·p/1000⌉, ⌈2·p/1000⌉."""
    return (math.ceil(PER_1000 * population / 1000),
            math.ceil(RESIDUE_PER_1000 * population / 1000))


def variety_weight(variety: VarietyInput) -> float:
    """Expected failures per sample (see the module docstring)."""
    sampled = any(h.county_tests or h.prefecture_tests for h in variety.history)
    if not sampled:
        return NEVER_SAMPLED_WEIGHT
    total = 0.0
    for h in variety.history:
        p_pref = h.prefecture_failures / h.prefecture_tests if h.prefecture_tests else 0.0
        total += (h.county_failures + SHRINK_K * p_pref) / (h.county_tests + SHRINK_K)
    return max(total, MIN_WEIGHT)


def split_by_weight(amount: int, weights: dict[str, float]) -> dict[str, int]:
    """``amount`` split in proportion to ``weights`` (largest remainder; ties by name)."""
    if amount <= 0 or not weights:
        return {name: 0 for name in weights}
    total = sum(weights.values())
    quotas = {name: amount * w / total for name, w in weights.items()}
    shares = {name: math.floor(q) for name, q in quotas.items()}
    left = amount - sum(shares.values())
    order = sorted(weights, key=lambda n: (-(quotas[n] - shares[n]), n))
    for name in order[:left]:
        shares[name] += 1
    return shares


def spread_months(count: int, offset: int) -> list[int]:
    """``count`` over 12 months as evenly as possible; the extra ones go to the months from
    ``offset`` on, so that consecutive varieties fill the year round-robin (the county's
    monthly totals then differ by at most one)."""
    base, extra = divmod(count, MONTHS)
    months = [base] * MONTHS
    for j in range(extra):
        months[(offset + j) % MONTHS] += 1
    return months


def plan_county(county: CountyInput) -> CountyPlan:
    if not county.varieties:
        raise PlanError(f"{county.name}没有产销品种清单，无法编制计划")
    total, residue = targets(county.population)
    plan = CountyPlan(county.code, county.name, county.population, total, residue)
    varieties = sorted(county.varieties, key=lambda v: v.name)
    for v in varieties:
        plan.counts[v.name] = MIN_PER_VARIETY
        plan.weights[v.name] = variety_weight(v)
        plan.residue[v.name] = v.residue
    residue_names = [v.name for v in varieties if v.residue]
    shortfall = residue - plan.residue_total
    if shortfall > 0:
        if not residue_names:
            raise PlanError(f"{county.name}的品种清单中没有检测农药兽药残留的品种，"
                            f"无法达到每千人{RESIDUE_PER_1000}批次")
        for name, n in split_by_weight(shortfall, {n: plan.weights[n] for n in
                                                   residue_names}).items():
            plan.counts[name] += n
    for name, n in split_by_weight(total - plan.total, plan.weights).items():
        plan.counts[name] += n
    offset = 0
    for v in varieties:
        plan.months[v.name] = spread_months(plan.counts[v.name], offset)
        offset = (offset + plan.counts[v.name]) % MONTHS
    return plan


def build(counties: list[CountyInput]) -> list[CountyPlan]:
    """One plan per county, in county-code order."""
    return [plan_county(c) for c in sorted(counties, key=lambda c: c.code)]
