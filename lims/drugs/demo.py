"""Demo step: the shipped monographs and a drug-testing capability at the prefecture lab."""

from __future__ import annotations

import sqlalchemy as sa

from lims.capabilities.models import LabCapability
from lims.drugs import services
from lims.extensions import db
from lims.foods.models import TestItemRecord
from lims.orgs.models import Organization, OrgTier


def load_demo_drugs() -> int:
    """Load the monographs; declare every drug item at the prefecture lab (药品检验, scope
    药品) by the method its monograph names, so that routing and coverage find it fit
    (lims.capabilities.fitness). Idempotent; returns the capabilities created."""
    services.load_shipped_monographs()
    lab = db.session.scalar(sa.select(Organization).where(
        Organization.tier == OrgTier.PREFECTURE_LAB))
    if lab is None:
        return 0
    edition = services.pharmacopoeia_edition()
    items = db.session.scalars(sa.select(TestItemRecord).where(
        TestItemRecord.edition_id == edition.id).order_by(TestItemRecord.id)).all()
    have = set(db.session.scalars(sa.select(LabCapability.test_item_id).where(
        LabCapability.org_id == lab.id,
        LabCapability.test_item_id.in_([i.id for i in items]))))
    created = 0
    for item in items:
        if item.id in have:
            continue
        methods = item.method_list
        db.session.add(LabCapability(
            org=lab, test_item=item, analyte_key=item.analyte_key,
            food_scope_code=services.DRUG_CATEGORY_CODE,
            method_standard=methods[0] if methods else "", in_cma_scope=True,
            notes="演示数据 / demo declaration（药品，按药品标准所载方法）"))
        created += 1
    db.session.flush()
    return created
