"""Loading the network (regions and organisations) from the project's data file."""

from __future__ import annotations

import csv
from importlib import resources

import sqlalchemy as sa

from lims.extensions import db
from lims.orgs.models import Organization, OrgTier, Region, RegionLevel


def _rows() -> list[dict]:
    text = resources.files("lims.orgs").joinpath("data/bortala.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def load_network() -> tuple[int, int]:
    """Create or update the prefecture's regions and organisations; return the counts."""
    regions: dict[str, Region] = {
        r.code: r for r in db.session.scalars(sa.select(Region))
    }
    orgs: dict[str, Organization] = {
        o.code: o for o in db.session.scalars(sa.select(Organization))
    }
    for row in _rows():
        if row["kind"] == "region":
            region = regions.get(row["code"]) or Region(code=row["code"])
            region.name = row["name"]
            region.level = RegionLevel(row["level_or_tier"])
            region.parent = regions.get(row["parent_code"]) if row["parent_code"] else None
            region.population = int(row["population"])
            region.population_source = row["population_source"] or None
            regions[region.code] = region
            db.session.add(region)
        else:
            org = orgs.get(row["code"]) or Organization(code=row["code"])
            org.name, org.name_en = row["name"], row["name_en"] or None
            org.tier = OrgTier(row["level_or_tier"])
            org.region = regions[row["parent_code"]]
            org.address = row["address"]
            org.population_served = int(row["population"])
            orgs[org.code] = org
            db.session.add(org)
    db.session.flush()
    return len(regions), len(orgs)


def org_by_code(code: str) -> Organization | None:
    return db.session.scalar(sa.select(Organization).where(Organization.code == code))


def counties(region_id: int | None = None) -> list[Region]:
    """The prefecture's counties (县级行政区) in code order; with ``region_id`` only that one."""
    query = sa.select(Region).where(Region.level == RegionLevel.COUNTY).order_by(Region.code)
    if region_id is not None:
        query = query.where(Region.id == region_id)
    return list(db.session.scalars(query))
