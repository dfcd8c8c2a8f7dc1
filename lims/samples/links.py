"""A sample's links to business records (被抽样单位, 标称生产者), set at receipt."""

from __future__ import annotations

from lims.businesses.models import BusinessKind
from lims.businesses.services import match_business
from lims.samples.models import Sample


def link_businesses(sample: Sample) -> None:
    """Link the sampled business and the producer; new records and merge proposals as needed."""
    region_id = sample.business_region.id if sample.business_region is not None else \
        sample.business_region_id
    seller = match_business(sample.business_name, licence=sample.business_licence,
                            address=sample.business_address, region_id=region_id)
    if seller is not None:
        sample.business = seller.business
    producer = match_business(sample.producer or "", kind=BusinessKind.PRODUCER)
    if producer is not None:
        sample.producer_business = producer.business
