"""Demo step: the shipped monographs and a drug-testing capability at the prefecture lab."""

from __future__ import annotations

import sqlalchemy as sa

from lims.capabilities.models import LabCapability
from lims.drugs import services
from lims.extensions import db
from lims.foods.models import TestItemRecord
from lims.orgs.models import Organization, OrgTier


def load_demo_drugs() -> int:
    """Load the monographs; declare every drug item at the prefecture lab (药品检验,
    scope 药品, any 通则 method). Idempotent; returns the capabilities created."""
    services.load_shipped_monographs()
    lab = db.session.scalar(sa.select(Organization).where(
        Organization.tier == OrgTier.PREFECTURE_LAB))
    if lab is None:
        return 0
    edition = services.pharmacopoeia_edition()
    keys = set(db.session.scalars(sa.select(TestItemRecord.analyte_key).where(
        TestItemRecord.edition_id == edition.id)))
    have = set(db.session.scalars(sa.select(LabCapability.analyte_key).where(
        LabCapability.org_id == lab.id, LabCapability.analyte_key.in_(keys))))
    created = 0
    for key in sorted(keys - have):
        db.session.add(LabCapability(
            org=lab, analyte_key=key, food_scope_code=services.DRUG_CATEGORY_CODE,
            method_standard="", in_cma_scope=True, notes="演示数据 / demo declaration（药品）"))
        created += 1
    db.session.flush()
    return created
