"""Routing proposals: the county lab of the sample's county for what it can test,
the prefecture lab for the rest, and a clear "no lab" where the network has no capability.

A lab can test an item when a capability matches it and is fit for it — the method allowed by
the rules and LOQ ≤ limit — by the same rule statistics coverage counts
(lims.capabilities.fitness.fitness)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from lims.capabilities.fitness import OK, allowed_methods, fitness, item_limit
from lims.capabilities.models import LabCapability
from lims.capabilities.services import matches, scope_codes
from lims.core.localtime import local_today
from lims.extensions import db
from lims.foods.models import TestItemRecord
from lims.orgs.models import Organization, OrgTier


@dataclass(frozen=True)
class LabOption:
    org: Organization
    capability: LabCapability
    reason_zh: str


@dataclass(frozen=True)
class RoutingProposal:
    item: TestItemRecord
    preferred_org: Organization | None
    options: list[LabOption] = field(default_factory=list)
    reason_zh: str = ""


def propose_routing(sample_region_id: int, items: list[TestItemRecord],
                    on: dt.date | None = None) -> list[RoutingProposal]:
    on = on or local_today()
    labs = db.session.scalars(sa.select(Organization).where(
        Organization.active.is_(True),
        Organization.tier.in_([OrgTier.PREFECTURE_LAB, OrgTier.COUNTY_LAB]))).all()
    # One query for every capability that could match, then decide in Python.
    keys = {item.analyte_key for item in items}
    ids = {item.id for item in items}
    capabilities = db.session.scalars(sa.select(LabCapability).where(
        LabCapability.org_id.in_([lab.id for lab in labs]),
        sa.or_(LabCapability.test_item_id.in_(ids),
               sa.and_(LabCapability.test_item_id.is_(None),
                       LabCapability.analyte_key.in_(keys))))).all()
    by_org: dict[int, list[LabCapability]] = {}
    for capability in capabilities:
        by_org.setdefault(capability.org_id, []).append(capability)
    county_labs = [lab for lab in labs if lab.tier == OrgTier.COUNTY_LAB
                   and lab.region_id == sample_region_id]
    prefecture = [lab for lab in labs if lab.tier == OrgTier.PREFECTURE_LAB]
    from lims.foods import services as foods
    from lims.limits.services import library_index

    index = library_index()
    proposals = []
    for item in items:
        scopes = scope_codes(item)
        allowed = allowed_methods(item.method_standards)
        limit = item_limit(index, item.name_zh,
                           [n.name_zh for n in reversed(foods.category_path(item.subcategory))],
                           on)
        options = []
        unfit = False
        for lab in county_labs + prefecture:
            found = [c for c in by_org.get(lab.id, []) if matches(c, item, scopes, on)]
            fit = [c for c in found if fitness(c, allowed, limit) == OK]
            unfit = unfit or len(fit) < len(found)
            found = fit
            if found:
                cap = sorted(found, key=lambda c: c.test_item_id is None)[0]
                where = "本县检验机构" if lab.tier == OrgTier.COUNTY_LAB else "州级检验机构"
                options.append(LabOption(lab, cap, f"{where}具备能力（{cap.method_standard}）"))
        if options:
            proposals.append(RoutingProposal(item, options[0].org, options,
                                             options[0].reason_zh))
        elif unfit:
            proposals.append(RoutingProposal(
                item, None, [], "已声明的检验能力方法不在细则规定方法之列或定量限高于限量"))
        else:
            proposals.append(RoutingProposal(item, None, [],
                                             "本县及州级检验机构均未声明该项目的检验能力"))
    return proposals
