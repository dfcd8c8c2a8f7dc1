"""Risk early warning at 100× volume: the nightly signal run over a prefecture year.

Builds the statistics benchmark's year (benchmarks/stats_dashboard.py: ≈ 200,000 samples,
≈ 1,000,000 results with a flat 1-in-37 failure rate, 500,000 rapid results on PostgreSQL),
links the samples to business records set-based (5,000 sellers, 300 producers), injects one
known spike (December, 博乐市, one 细类 × item: every result failed), then times

- the nightly job (``lims alerts run``: every signal) as of 2026-12-31, cold and warm;
- the nightly job at the end of each month of the year (12 runs, as a year of nights would);
- the per-sample evaluation run when a sample's results conclude (median of 20).

It prints the alerts raised per kind, and whether the injected spike was found.

    python benchmarks/alerts_year.py [--samples 200000] [--rapid 500000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from scratch_db import scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import stats_dashboard  # noqa: E402

from lims import create_app  # noqa: E402
from lims.extensions import db  # noqa: E402

LINK_STEPS = [
    ("seller records", """
     INSERT INTO business (name, name_key, kind, region_id, created_at, updated_at)
     SELECT DISTINCT ON (s.business_name) s.business_name, s.business_name, 'market_stall',
            s.business_region_id, now(), now()
     FROM sample s ORDER BY s.business_name, s.id
    """),
    ("producer records", """
     INSERT INTO business (name, name_key, kind, created_at, updated_at)
     SELECT '生产者' || g, '生产者' || g, 'producer', now(), now()
     FROM generate_series(0, 299) g
    """),
    ("sample links", """
     UPDATE sample s SET business_id = b.id,
            producer_business_id = CASE WHEN s.id % 3 = 0 THEN p.first + s.id % 300 END,
            batch_number = CASE WHEN s.id % 3 = 0 THEN 'P' || (s.id % 1000) END
     FROM business b,
          (SELECT min(id) AS first FROM business WHERE kind = 'producer') p
     WHERE b.name = s.business_name AND b.kind = 'market_stall'
    """),
]

SPIKE = """
 UPDATE test_result r SET verdict = 'fail'
 FROM sample_test st JOIN sample s ON s.id = st.sample_id
 WHERE r.sample_test_id = st.id AND r.status = 'approved'
   AND s.business_region_id = :region AND s.subcategory_id = :leaf
   AND st.test_item_id = :item AND s.sampled_on >= DATE '2026-12-01'
"""


def link_and_spike() -> tuple[str, str]:
    from lims.foods.models import FoodCategoryNode, TestItemRecord
    from lims.orgs.models import Region
    from lims.samples.models import Sample, SampleTest

    for name, sql in LINK_STEPS:
        started = time.perf_counter()
        db.session.execute(sa.text(sql))
        db.session.commit()
        print(f"  {name:<20} {time.perf_counter() - started:6.1f} s", file=sys.stderr)
    bole = db.session.scalar(sa.select(Region.id).where(Region.name == "博乐市"))
    # the most sampled 细类 of 博乐市 in December, and its first item
    leaf = db.session.execute(
        sa.select(Sample.subcategory_id, sa.func.count()).where(
            Sample.business_region_id == bole, Sample.sampled_on >= dt.date(2026, 12, 1))
        .group_by(Sample.subcategory_id).order_by(sa.func.count().desc()).limit(1)).first()[0]
    item = db.session.scalar(sa.select(SampleTest.test_item_id).join(
        Sample, Sample.id == SampleTest.sample_id).where(Sample.subcategory_id == leaf)
        .order_by(SampleTest.test_item_id).limit(1))
    db.session.execute(sa.text(SPIKE), {"region": bole, "leaf": leaf, "item": item})
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return (db.session.get(FoodCategoryNode, leaf).name_zh,
            db.session.get(TestItemRecord, item).name_zh)


def measure(repeats: int) -> tuple[dict[str, list[float]], Counter, list]:
    from lims.alerts import detect, services
    from lims.alerts.models import Alert
    from lims.results.models import TestResult, Verdict
    from lims.samples.models import Sample, SampleTest

    timings: dict[str, list[float]] = {"nightly run, 2026-12-31 (detect + store)": [],
                                       "nightly run, warm (detect only)": [],
                                       "month-end nightly runs (12), total": [],
                                       "one sample concluded (evaluate_sample)": []}
    started = time.perf_counter()
    services.run(dt.date(2026, 12, 31))
    db.session.commit()
    timings["nightly run, 2026-12-31 (detect + store)"].append(
        (time.perf_counter() - started) * 1000)
    for _ in range(repeats):
        started = time.perf_counter()
        detect.detect_all(dt.date(2026, 12, 31))
        timings["nightly run, warm (detect only)"].append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    started = time.perf_counter()
    for month in range(1, 13):
        end = (dt.date(2026, month % 12 + 1, 1) if month < 12 else dt.date(2027, 1, 1)) - \
            dt.timedelta(days=1)
        services.run(end)
        db.session.commit()
    timings["month-end nightly runs (12), total"].append((time.perf_counter() - started) * 1000)
    failing = db.session.scalars(
        sa.select(Sample).join(SampleTest, SampleTest.sample_id == Sample.id)
        .join(TestResult, TestResult.sample_test_id == SampleTest.id)
        .where(TestResult.verdict == Verdict.FAIL.value, Sample.sampled_on >=
               dt.date(2026, 12, 1)).order_by(Sample.id).limit(20)).all()
    for sample in failing:
        started = time.perf_counter()
        services.evaluate_sample(sample, as_of=dt.date(2026, 12, 31))
        db.session.commit()
        timings["one sample concluded (evaluate_sample)"].append(
            (time.perf_counter() - started) * 1000)
    kinds = Counter(a.kind.value for a in db.session.scalars(sa.select(Alert)))
    rate = list(db.session.scalars(sa.select(Alert).where(Alert.kind == "rate_spike")))
    return timings, kinds, rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--rapid", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    url, drop = scratch_database()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": Path(tempfile.mkdtemp()),
                      "PASSWORD_HASH_FAST": True})
    try:
        with app.app_context():
            stats_dashboard.seed_reference()
            started = time.perf_counter()
            stats_dashboard.generate(args.samples, args.rapid)
            spike = link_and_spike()
            print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            counts = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                      for t in ("sample", "test_result", "station_result", "business")}
            timings, kinds, rate = measure(args.repeats)
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
    print(f"alerts on postgresql: {counts['sample']:,} samples, {counts['test_result']:,} "
          f"results, {counts['station_result']:,} rapid results, {counts['business']:,} "
          f"businesses (ms)")
    print(f"{'what':<44}{'median':>10}{'max':>10}{'runs':>6}")
    for name, values in timings.items():
        print(f"{name:<44}{statistics.median(values):>10.1f}{max(values):>10.1f}"
              f"{len(values):>6}")
    print("alerts raised by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    found = [a.title for a in rate if a.variety == spike[0] and a.item == spike[1]]
    print(f"injected spike {spike[0]} × {spike[1]} (博乐市, December): "
          f"{'found' if found else 'NOT found'}; rate alerts in all {len(rate)}")
    for title in found:
        print(f"  {title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
