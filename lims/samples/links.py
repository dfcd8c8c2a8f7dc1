"""A sample's links to business records (被抽样单位, 标称生产者), set at receipt."""

from __future__ import annotations

from lims.businesses.models import Business, BusinessKind
from lims.businesses.services import match_business
from lims.orgs.models import Region
from lims.samples.models import Sample


def business_links(name: str, licence: str | None, address: str | None,
                   region: Region | None, producer: str | None
                   ) -> tuple[Business | None, Business | None]:
    """(seller, producer) records for the names on a receipt; new records and merge
    proposals as needed (lims.businesses.services.match_business)."""
    seller = match_business(name, licence=licence, address=address,
                            region_id=region.id if region is not None else None)
    made = match_business(producer or "", kind=BusinessKind.PRODUCER)
    return (seller.business if seller else None, made.business if made else None)


def link_businesses(sample: Sample) -> None:
    """Link a sample registered before business records existed (``lims businesses link``)."""
    seller, producer = business_links(sample.business_name, sample.business_licence,
                                      sample.business_address, sample.business_region,
                                      sample.producer)
    sample.business, sample.producer_business = seller, producer
