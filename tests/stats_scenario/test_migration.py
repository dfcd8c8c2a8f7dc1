"""The migration registers the stalls existing markets and results name (both engines)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa

from lims import create_app
from lims.extensions import db
from tests.conftest import ENGINE, PG_ADMIN_URL, _test_settings


def test_existing_markets_get_their_stalls_and_results_their_codes(app, tmp_path):
    from flask_migrate import upgrade

    from lims.orgs.services import load_network, org_by_code
    from lims.stations.models import Market, MarketKind, StationBatch, StationResult

    if ENGINE == "postgresql":
        name = f"lims_mig_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    else:
        url = f"sqlite:///{tmp_path / 'before-i16.db'}"
    try:
        old = create_app(_test_settings(url, tmp_path))
        with old.app_context():
            upgrade(revision="i13e_declared")  # the revision before i16_stats_definitions
            load_network()
            station = org_by_code("BL-ST01")
            market = Market(code="OLD-M", name="旧批发市场", region_id=station.region_id,
                            station_org_id=station.id, kind=MarketKind.WHOLESALE,
                            stall_count=3, active=True)
            db.session.add(market)
            db.session.flush()
            batch = StationBatch(station_org_id=station.id, source="json", record_count=3)
            db.session.add(batch)
            db.session.flush()
            for n, stall in enumerate(["a 1", "A－1", "东区 7"]):
                db.session.add(StationResult(
                    uid=f"old-{n}", content_hash=f"{n:064d}", station_org_id=station.id,
                    market_id=market.id, stall=stall, food_name="菠菜", food_category="蔬菜",
                    test_item="有机磷和氨基甲酸酯类农药", method="enzyme_inhibition",
                    inhibition_pct=Decimal("10"), station_verdict="negative",
                    server_verdict="negative", server_reason="", disagreement=False,
                    tested_at=dt.datetime(2026, 11, 1, 2, tzinfo=dt.UTC),
                    tested_on=dt.date(2026, 11, 1), operator="孙", batch_id=batch.id))
            db.session.commit()
            upgrade()
            stalls = db.session.execute(sa.text(
                "SELECT code FROM market_stall WHERE market_id = :m ORDER BY id"),
                {"m": market.id}).scalars().all()
            # the two codes the results name (one stall written two ways), then
            # … up to the registered count — but A-1 is already there: A-2 only
            assert stalls == ["A-1", "东区-7", "A-2"]
            codes = db.session.execute(sa.text(
                "SELECT stall FROM station_result ORDER BY uid")).scalars().all()
            assert codes == ["A-1", "A-1", "东区-7"]
            db.session.remove()
            db.engine.dispose()
    finally:
        if ENGINE == "postgresql":
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
