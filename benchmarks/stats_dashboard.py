"""Statistics dashboard speed: a year of the prefecture at 100× real volume on PostgreSQL.

Real volume is about 4 samples per 1,000 people a year (≈ 2,000 samples for 488,198 people);
100× is ≈ 200,000 samples with 5 tests each — about 1,000,000 test results — a report for
most samples, and rapid results from the markets' stations.  Rows are generated set-based
(INSERT … SELECT over generate_series), without the per-row audit trail.

It then times the dashboard's server work — every figure (coverage, gap list, targets per
county, monthly trend, varieties, failures, turnaround percentiles, rapid testing) and the
rendered page — cold (first request: the coverage item table is built) and warm (median of
the repeats), for the prefecture and for one county.

    python benchmarks/stats_dashboard.py [--samples 200000] [--rapid 500000] [--repeats 5]
"""

from __future__ import annotations

import argparse
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
from lims.stats import rollup  # noqa: E402

TESTS_PER_SAMPLE = 5
PASSWORD = "Bench-2026-lims!"




def seed_reference() -> None:
    """The demo world's reference data: network, rules, limits, capabilities, markets."""
    import importlib

    from flask_migrate import upgrade

    from lims.audit.context import Actor, acting_as
    from lims.core.demo import DEMO_STEPS
    from lims.orgs.services import load_network
    from lims.users.roles import Role
    from lims.users.services import create_user

    upgrade()
    db.metadata.create_all(db.engine, checkfirst=True)
    with acting_as(Actor(None, "bench")):
        load_network()
        for module_name, func in DEMO_STEPS:
            getattr(importlib.import_module(module_name), func)()
        from lims.orgs.services import org_by_code

        create_user("bench", org=org_by_code("BZ-LAB"), roles=[Role.SUPERVISOR],
                    password=PASSWORD)
        create_user("bench_bl", org=org_by_code("BL-LAB"), roles=[Role.SIGNATORY],
                    password=PASSWORD)
        db.session.commit()


STEPS = [
    # leaves (细类) with at least five items, numbered 0..n-1 for the generator
    ("leaves", """
     CREATE TEMP TABLE bench_leaf AS
     SELECT row_number() OVER (ORDER BY f.id) - 1 AS rn, f.id, f.name_zh,
            (WITH RECURSIVE up(id, parent_id, code) AS (
                 SELECT id, parent_id, code FROM food_category WHERE id = f.id
                 UNION ALL SELECT c.id, c.parent_id, c.code FROM food_category c
                 JOIN up ON c.id = up.parent_id)
             SELECT code FROM up WHERE parent_id IS NULL) AS top
     FROM food_category f
     WHERE f.level = 4 AND (SELECT count(*) FROM test_item t WHERE t.subcategory_id = f.id) >= 5
    """),
    ("samples", """
     INSERT INTO sample (number, status, task_type, food_name, subcategory_id, category_code,
         business_name, business_region_id, sampled_on, quantity, quantity_unit, condition_ok,
         registered_org_id, assigned_org_id, received_by_id, received_at, version, created_at,
         updated_at)
     SELECT 'B-2026-' || lpad(g::text, 7, '0'),
            CASE WHEN g % 20 = 0 THEN 'in_testing' ELSE 'reported' END,
            CASE WHEN g % 20 < 14 THEN 'supervision' WHEN g % 20 < 18 THEN 'risk_monitoring'
                 WHEN g % 20 < 19 THEN 'rapid_retest' ELSE 'commissioned' END,
            l.name_zh, l.id, l.top, '经营者' || (g % 5000),
            (CAST(:regions AS integer[]))[1 + g % 4], DATE '2026-01-01' + (g % 365), '1', 'kg', true,
            :lab, :lab, :user,
            ((DATE '2026-01-01' + (g % 365) + 1)::timestamp + make_interval(hours => g % 10))
              AT TIME ZONE 'UTC',
            1, now(), now()
     FROM generate_series(1, :n) g
     JOIN bench_leaf l ON l.rn = (g * 7919) % (SELECT count(*) FROM bench_leaf)
    """),
    ("sample tests", """
     INSERT INTO sample_test (sample_id, test_item_id, basis_standard, method_standard,
         lab_org_id, from_rules, removed, created_at, updated_at)
     SELECT s.id, t.id, t.basis_standards, NULL, :lab, true, false, now(), now()
     FROM sample s
     CROSS JOIN LATERAL (SELECT id, basis_standards FROM test_item
                         WHERE subcategory_id = s.subcategory_id ORDER BY id LIMIT :k) t
    """),
    ("test results", """
     INSERT INTO test_result (sample_test_id, method_key, inputs_json, reported_value, unit,
         detected, verdict, verdict_reason, status, tested_by_id, tested_on, version,
         created_at, updated_at)
     SELECT st.id, 'bench', '{}', '0.01', 'mg/kg', true,
            CASE WHEN st.id % 37 = 0 THEN 'fail' ELSE 'pass' END, '',
            CASE WHEN s.id % 20 = 0 THEN 'submitted' ELSE 'approved' END,
            :user, s.sampled_on + 3, 1, now(), now()
     FROM sample_test st JOIN sample s ON s.id = st.sample_id
     WHERE s.id % 50 <> 1
    """),
    ("reports", """
     INSERT INTO test_report (number, sample_id, revision, lab_org_id, status, issued_at,
         issued_on, issued_by_id, pdf, sha256, page_count, verify_token, cma_applied,
         created_at, updated_at)
     SELECT 'R-' || s.number, s.id, 0, :lab, 'issued',
            s.received_at + make_interval(days => 2 + s.id % 17, hours => s.id % 7),
            (s.received_at + make_interval(days => 2 + s.id % 17))::date, :user,
            '\\x25504446'::bytea, md5(s.number) || md5('r' || s.number), 1,
            md5('t' || s.number) || md5('v' || s.number), true, now(), now()
     FROM sample s WHERE s.id % 20 NOT IN (0, 1, 2)
    """),
    ("station batch", """
     INSERT INTO station_batch (station_org_id, source, record_count, received_at)
     SELECT station_org_id, 'json', 0, now() FROM market LIMIT 1
    """),
    ("rapid results", """
     INSERT INTO station_result (uid, content_hash, station_org_id, market_id, stall, vendor,
         food_name, food_category, test_item, method, inhibition_pct, station_verdict,
         server_verdict, server_reason, disagreement, tested_at, tested_on, operator,
         batch_id, published, created_at)
     SELECT 'u' || g, md5(g::text) || md5('c' || g), m.station_org_id, m.id,
            'A-' || (1 + (g * 31) % greatest(m.stall_count, 1)), NULL, '油麦菜', '蔬菜',
            '有机磷和氨基甲酸酯类农药', 'enzyme_inhibition',
            CASE WHEN g % 50 = 0 THEN '65' ELSE '12' END,
            CASE WHEN g % 50 = 0 THEN 'positive' ELSE 'negative' END,
            CASE WHEN g % 50 = 0 THEN 'positive' ELSE 'negative' END, '', false,
            (DATE '2026-01-01' + (g % 365))::timestamp AT TIME ZONE 'UTC',
            DATE '2026-01-01' + (g % 365), '快检员', (SELECT max(id) FROM station_batch),
            g % 10 <> 0, now()
     FROM generate_series(1, :rapid) g
     JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS rn, * FROM market) m
       ON m.rn = g % (SELECT count(*) FROM market)
    """),
    ("confirmation tasks", """
     INSERT INTO confirmation_task (station_result_id, lab_org_id, lab_reason, due_on, status,
         created_at, updated_at)
     SELECT r.id, :lab, 'bench', r.tested_on + 7,
            CASE r.id % 4 WHEN 0 THEN 'open' WHEN 1 THEN 'confirmed' ELSE 'not_confirmed' END,
            now(), now()
     FROM station_result r WHERE r.station_verdict = 'positive'
    """),
]


def generate(samples: int, rapid: int) -> None:
    from lims.orgs.models import Organization, Region, RegionLevel
    from lims.users.models import User

    regions = list(db.session.scalars(sa.select(Region.id).where(
        Region.level == RegionLevel.COUNTY).order_by(Region.code)))
    params = {"n": samples, "rapid": rapid, "k": TESTS_PER_SAMPLE, "regions": regions,
              "lab": db.session.scalar(sa.select(Organization.id).where(
                  Organization.code == "BZ-LAB")),
              "user": db.session.scalar(sa.select(User.id).where(User.username == "bench"))}
    for name, sql in STEPS:
        started = time.perf_counter()
        statement = sa.text(sql)
        used = {k: v for k, v in params.items() if f":{k}" in sql}
        db.session.execute(statement, used)
        db.session.commit()
        print(f"  {name:<20} {time.perf_counter() - started:6.1f} s", file=sys.stderr)
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def measure(app, repeats: int) -> dict[str, list[float]]:
    from lims.orgs.models import Region
    from lims.stats import coverage
    from lims.stats.period import Period
    from lims.stats.services import all_tables

    period = Period.year(2026)
    bole = db.session.scalar(sa.select(Region.id).where(Region.name == "博乐市"))
    timings: dict[str, list[float]] = {"figures, prefecture (cold)": [],
                                       "figures, prefecture": [], "figures, one county": [],
                                       "page, prefecture": [], "page, county user": []}
    coverage._cache.clear()
    started = time.perf_counter()
    all_tables(period, None)
    timings["figures, prefecture (cold)"].append((time.perf_counter() - started) * 1000)
    db.session.rollback()
    client, county_client = app.test_client(), app.test_client()
    for who, c in (("bench", client), ("bench_bl", county_client)):
        login = c.get("/login").get_data(as_text=True)
        import re

        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login) or \
            re.search(r'name="csrf_token" value="([^"]+)"', login)
        c.post("/login", data={"username": who, "password": PASSWORD,
                               "csrf_token": token.group(1) if token else ""})
    for _ in range(repeats):
        for name, region in (("figures, prefecture", None), ("figures, one county", bole)):
            started = time.perf_counter()
            all_tables(period, region)
            timings[name].append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        for name, c in (("page, prefecture", client), ("page, county user", county_client)):
            started = time.perf_counter()
            response = c.get("/stats/?year=2026")
            timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
    # A day's work between two readings: 100 results change verdict (through the ORM, so
    # the rollup is marked); the next reading refreshes what changed.  Results of one
    # recent month (the usual case), and — the worst case — spread over the whole year.
    from lims.results.models import TestResult
    from lims.samples.models import Sample, SampleTest

    for name, recent in (("after 100 results of December", True),
                         ("after 100 results over the year", False)):
        timings[name] = []
        for round_ in range(repeats):
            query = sa.select(TestResult).where(TestResult.id % 97 == round_)
            if recent:
                query = (query.join(SampleTest, SampleTest.id == TestResult.sample_test_id)
                         .join(Sample, Sample.id == SampleTest.sample_id)
                         .where(Sample.sampled_on >= period.end.replace(day=1)))
            results = db.session.scalars(query.limit(100)).all()
            for result in results:
                result.verdict = "fail" if result.verdict == "pass" else "pass"
            db.session.commit()
            started = time.perf_counter()
            all_tables(period, None)
            db.session.commit()
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--rapid", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    parser.add_argument("--reuse", help="measure a database kept by an earlier --keep run")
    args = parser.parse_args()
    url, drop = (args.reuse, lambda: None) if args.reuse else scratch_database()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": Path(tempfile.mkdtemp()),
                      "PASSWORD_HASH_FAST": True, "WTF_CSRF_ENABLED": False})
    try:
        with app.app_context():
            if not args.reuse:
                seed_reference()
                started = time.perf_counter()
                counts = generate(args.samples, args.rapid)
                print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
                # the rows bypassed the application: build the statistics rollup once
                started = time.perf_counter()
                units = rollup.rebuild()
                db.session.commit()
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
                print(f"rollup rebuilt ({units:,} report units) in "
                      f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
            counts = {table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
                      for table in ("sample", "sample_test", "test_result", "test_report",
                                    "station_result", "confirmation_task")}
            timings = measure(app, args.repeats)
            db.session.remove()
            db.engine.dispose()
    finally:
        if args.keep and not args.reuse:
            print(f"database kept: {url}", file=sys.stderr)
        else:
            drop()
    print(f"stats dashboard on postgresql: {counts['sample']:,} samples, "
          f"{counts['test_result']:,} test results, {counts['test_report']:,} reports, "
          f"{counts['station_result']:,} rapid results (server time in ms; target < 1000)")
    print(f"{'what':<30}{'median':>10}{'max':>10}{'runs':>6}")
    for name, values in timings.items():
        print(f"{name:<30}{statistics.median(values):>10.1f}{max(values):>10.1f}"
              f"{len(values):>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
