"""Samples with concluded results, built directly (fast) on the reference world, for the
plan, alert and traceability tests.  Business links use the receipt's own rule."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import sqlalchemy as sa

from lims.extensions import db

_counter = itertools.count(1)


def county(name: str):
    from lims.orgs.models import Region

    return db.session.scalar(sa.select(Region).where(Region.name == name))


def item_names(variety: str, n: int = 3) -> list[str]:
    from lims.foods import services as foods

    return [i.name_zh for i in foods.items_for(foods.find_subcategory(variety))[:n]]


def make_sample(user, *, day: dt.date, county_name: str, variety: str,
                fail: tuple[str, ...] = (), tested: tuple[str, ...] | None = None,
                business: str | None = None, licence: str | None = None,
                producer: str | None = None, batch: str | None = None,
                status: str = "approved"):
    """A root sample of ``variety`` with approved results: items in ``fail`` failed."""
    from lims.foods import services as foods
    from lims.results.models import ResultStatus, TestResult
    from lims.samples.lifecycle import SampleStatus
    from lims.samples.links import link_businesses
    from lims.samples.models import Sample, SampleTest, TaskType

    node = foods.find_subcategory(variety)
    region = county(county_name)
    n = next(_counter)
    sample = Sample(
        number=f"T-{day:%Y%m%d}-{n:06d}", status=SampleStatus.IN_TESTING,
        task_type=TaskType.SUPERVISION, food_name=variety, subcategory_id=node.id,
        category_code=foods.category_path(node)[0].code,
        business_name=business or f"{county_name}经营户{n}", business_licence=licence,
        business_region=region, sampled_on=day, producer=producer, batch_number=batch,
        quantity=Decimal("1"), quantity_unit="kg", condition_ok=True,
        registered_org_id=user.org_id, assigned_org_id=user.org_id, received_by_id=user.id)
    db.session.add(sample)
    link_businesses(sample)
    db.session.flush()
    items = {i.name_zh: i for i in foods.items_for(node)}
    names = list(tested) if tested is not None else list(items)[:3]
    for name in list(fail):
        if name not in names:
            names.append(name)
    for name in names:
        test = SampleTest(sample_id=sample.id, test_item_id=items[name].id, basis_standard="",
                          lab_org_id=user.org_id)
        db.session.add(test)
        db.session.flush()
        db.session.add(TestResult(
            sample_test_id=test.id, method_key="test", reported_value="1", unit="mg/kg",
            verdict="fail" if name in fail else "pass", status=ResultStatus(status),
            tested_by_id=user.id, tested_on=day))
    db.session.flush()
    return sample
