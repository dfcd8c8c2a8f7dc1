"""Sample list speed at scale: first page, a filtered page and a deep page.

Builds a database of its own, measures the list at 1,000 samples, grows it to N samples
(default 1,000,000 on PostgreSQL, 100,000 on SQLite) and measures again, then prints the
median and p95 server time of each query and the ratio between the two sizes.

    python benchmarks/sample_list.py --engine postgresql [--samples 1000000]
    python benchmarks/sample_list.py --engine sqlite

Rows are generated with bulk Core inserts (no per-row audit), which is what makes a
million rows take minutes instead of hours; the queries measured are the app's own
(lims.samples.listing.list_samples with the user's visibility clause).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from scratch_db import scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lims import create_app  # noqa: E402
from lims.extensions import db  # noqa: E402


def seed_reference(app) -> dict:
    from flask_migrate import upgrade

    from lims.foods.models import FoodCategoryNode
    from lims.foods.services import import_edition
    from lims.orgs.models import Organization, Region, RegionLevel
    from lims.orgs.services import load_network
    from lims.users.models import User
    from lims.users.roles import Role
    from lims.users.services import create_user

    upgrade()
    db.metadata.create_all(db.engine, checkfirst=True)
    load_network()
    import_edition("2026")
    orgs = {o.code: o for o in db.session.scalars(sa.select(Organization))}
    receiver = create_user("bench", org=orgs["BZ-LAB"], roles=[Role.RECEIVER],
                           password="Bench-2026-lims!")
    county = create_user("bench_bl", org=orgs["BL-LAB"], roles=[Role.TECHNICIAN],
                         password="Bench-2026-lims!")
    db.session.commit()
    leaves = db.session.scalars(sa.select(FoodCategoryNode).where(FoodCategoryNode.level == 4)).all()
    paths = {}
    for leaf in leaves:
        node = leaf
        while node.parent_id is not None:
            node = db.session.get(FoodCategoryNode, node.parent_id)
        paths[leaf.id] = node.code
    counties = db.session.scalars(sa.select(Region).where(Region.level == RegionLevel.COUNTY)).all()
    labs = [o for o in orgs.values() if o.is_lab]
    return {"receiver": db.session.get(User, receiver.id), "county_user": db.session.get(User, county.id),
            "leaves": [(leaf.id, paths[leaf.id]) for leaf in leaves],
            "regions": [r.id for r in counties], "labs": [o.id for o in labs],
            "prefecture": orgs["BZ-LAB"].id}


def insert_samples(ref: dict, start: int, count: int, batch: int = 20_000) -> None:
    from lims.samples.models import Sample

    rng = random.Random(start)
    statuses = ["registered", "in_transit", "received_at_lab", "in_testing", "under_review",
                "approved", "reported"]
    tasks = ["supervision", "risk_monitoring", "rapid_retest", "commissioned"]
    epoch = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    table = Sample.__table__
    done = 0
    while done < count:
        rows = []
        for i in range(start + done, start + min(done + batch, count)):
            leaf, category = ref["leaves"][rng.randrange(len(ref["leaves"]))]
            received = epoch + dt.timedelta(seconds=i * 30)
            rows.append({
                "number": f"BZ-LAB-{received.year}-{i + 1:07d}", "status": rng.choice(statuses),
                "task_type": rng.choice(tasks), "food_name": "样品", "subcategory_id": leaf,
                "category_code": category, "business_name": "某经营者",
                "business_region_id": rng.choice(ref["regions"]),
                "sampled_on": (received - dt.timedelta(days=rng.randrange(5))).date(),
                "quantity": "1", "quantity_unit": "kg", "condition_ok": True,
                "registered_org_id": ref["prefecture"], "assigned_org_id": rng.choice(ref["labs"]),
                "holder_org_id": ref["prefecture"], "received_by_id": ref["receiver"].id,
                "received_at": received, "version": 1, "created_at": received,
                "updated_at": received,
            })
        db.session.execute(table.insert(), rows)
        db.session.commit()
        done += len(rows)
        print(f"  inserted {start + done:,} samples", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE sample"))
    else:
        db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def measure(ref: dict, repeats: int) -> dict[str, list[float]]:
    from lims.samples.listing import SampleFilters, list_samples
    from lims.samples.models import Sample
    from lims.samples.services import visibility_clause

    receiver, county = ref["receiver"], ref["county_user"]
    total = db.session.scalar(sa.select(sa.func.count(Sample.id)))
    # A deep page: the cursor of the row 90% down the newest-first list.
    deep = db.session.execute(sa.select(Sample.received_at, Sample.id)
                              .order_by(Sample.received_at.desc(), Sample.id.desc())
                              .offset(int(total * 0.9)).limit(1)).one()
    from lims.samples.listing import _encode

    deep_cursor = _encode([deep[0], deep[1]])
    everything, own_county = visibility_clause(receiver), visibility_clause(county)
    queries = {
        "first page": (everything, SampleFilters(), None),
        "filtered page": (everything, SampleFilters(status="in_testing",
                                                    region_id=ref["regions"][0]), None),
        "county first page": (own_county, SampleFilters(), None),
        "deep page": (everything, SampleFilters(), deep_cursor),
    }
    timings: dict[str, list[float]] = {name: [] for name in queries}
    for _ in range(repeats):
        for name, (visible, filters, cursor) in queries.items():
            db.session.expunge_all()
            started = time.perf_counter()
            page = list_samples(visible, filters, after=cursor)
            [s.number for s in page.samples]
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def summary(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    target = args.samples or (1_000_000 if args.engine == "postgresql" else 100_000)
    url, drop = scratch_database(args.engine)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url,
                      "INSTANCE_PATH": Path(tempfile.mkdtemp()), "PASSWORD_HASH_FAST": True})
    try:
        with app.app_context():
            ref = seed_reference(app)
            insert_samples(ref, 0, 1_000)
            small = measure(ref, args.repeats)
            started = time.perf_counter()
            insert_samples(ref, 1_000, target - 1_000)
            print(f"generated {target:,} samples in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr)
            large = measure(ref, args.repeats)
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
    print(f"sample list on {args.engine}: {target:,} vs 1,000 samples "
          f"({args.repeats} runs each, server time in ms)")
    print(f"{'query':<20}{'median@1k':>11}{'p95@1k':>9}{'median@N':>11}{'p95@N':>9}{'ratio':>8}")
    for name in small:
        m1, p1 = summary(small[name])
        m2, p2 = summary(large[name])
        print(f"{name:<20}{m1:>11.2f}{p1:>9.2f}{m2:>11.2f}{p2:>9.2f}{m2 / m1:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
