"""Station upload speed through the HTTP API, against inserting the same rows directly.

Builds a database of its own (migrations, the network, the demo markets, a station operator
with an API token), starts gunicorn on loopback, uploads N records (default 100,000) in
batches of 500 to ``POST /api/v1/stations/results`` and prints records per second.  Then it
inserts the same rows (as the server stores them, with new uids) with SQLAlchemy Core
``insert()`` executemany, one transaction per batch of 500, and prints the ratio.
Target: the API reaches ≥ 30 % of the direct insert rate.

    python benchmarks/station_upload.py --engine sqlite [--records 100000]
    python benchmarks/station_upload.py --engine postgresql [--records 100000] [--workers 2]

Uploaders run in parallel (default: one per gunicorn worker), as several stations would.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sqlalchemy as sa
from scratch_db import scratch_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lims import create_app  # noqa: E402
from lims.extensions import db  # noqa: E402

FOODS = [("菠菜", "蔬菜"), ("韭菜", "蔬菜"), ("芹菜", "蔬菜"), ("豇豆", "蔬菜"), ("小白菜", "蔬菜"),
         ("黄瓜", "蔬菜"), ("苹果", "水果"), ("葡萄", "水果")]




def seed(url: str, tmp: Path) -> str:
    """Schema, network, markets and a station operator; returns the operator's token."""
    from flask_migrate import upgrade

    from lims.audit.context import Actor, acting_as
    from lims.orgs.services import load_network, org_by_code
    from lims.stations.services import load_demo_markets
    from lims.users.roles import Role
    from lims.users.services import create_user, issue_token

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp,
                      "SECRET_KEY": "bench", "PASSWORD_HASH_FAST": True})
    with app.app_context(), acting_as(Actor(None, "bench")):
        upgrade()
        db.metadata.create_all(db.engine, checkfirst=True)  # models without a migration yet
        load_network()
        load_demo_markets()
        user = create_user("bench_station", org=org_by_code("BL-ST01"),
                           roles=[Role.STATION_OPERATOR], password="Bench-station-2026!")
        token = issue_token(user, name="bench").token
        db.session.commit()
        db.engine.dispose()
    return token


def records(n: int, prefix: str) -> list[dict]:
    rng = random.Random(7)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    out = []
    for i in range(n):
        food, category = FOODS[rng.randrange(len(FOODS))]
        rate = rng.choice([rng.uniform(0, 45)] * 49 + [rng.uniform(50, 90)])  # ~2 % positive
        out.append({
            "uid": f"{prefix}-{i:07d}", "market": rng.choice(["BL-M01", "BL-M02", "BL-M03"]),
            "stall": f"A-{rng.randrange(1, 187):03d}", "vendor": f"经营户{rng.randrange(500)}",
            "food_name": food, "food_category": category,
            "test_item": "有机磷和氨基甲酸酯类农药", "method": "enzyme_inhibition",
            "inhibition_pct": f"{rate:.1f}",
            "station_verdict": "positive" if rate >= 50 else "negative",
            "tested_at": (start + dt.timedelta(seconds=20 * i)).isoformat(),
            "operator": "孙快检", "instrument_serial": "PR-2024-0117", "kit_lot": "K20261101",
            "raw_line": f"$PR,{i % 8 + 1},S-{i:06d},0.312,0.100,{rate:.1f},NEG*00",
        })
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, tmp: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "LIMS_DATABASE_URL": url, "LIMS_INSTANCE_PATH": str(tmp),
           "LIMS_SECRET_KEY": "bench"}
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--timeout", "120", "wsgi:app"], cwd=ROOT, env=env,
        stdout=(tmp / "gunicorn.log").open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/openapi.json", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError((tmp / "gunicorn.log").read_text()[-3000:])


def upload(base: str, token: str, rows: list[dict], batch: int, concurrency: int) -> float:
    batches = [rows[i:i + batch] for i in range(0, len(rows), batch)]
    clients = [httpx.Client(base_url=base, timeout=120,
                            headers={"Authorization": f"Bearer {token}",
                                     "Content-Type": "application/json"})
               for _ in range(concurrency)]

    def send(index: int) -> None:
        # encoded in the loop, as an agent would; UTF-8 rather than \u escapes
        body = json.dumps({"records": batches[index]}, ensure_ascii=False).encode("utf-8")
        resp = clients[index % concurrency].post("/api/v1/stations/results", content=body)
        if resp.status_code != 200:
            raise RuntimeError(f"batch {index}: HTTP {resp.status_code} {resp.text[:500]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, range(len(batches))))
    elapsed = time.perf_counter() - started
    for c in clients:
        c.close()
    return elapsed


def direct_insert(url: str, tmp: Path, rows: list[dict], batch: int) -> float:
    """The same rows, as the server stores them, by SQLAlchemy Core executemany."""
    from lims.instruments.services import local_date
    from lims.stations import intake, judging
    from lims.stations.models import Market, StationBatch, StationResult
    from lims.stations.schemas import StationRecordIn

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp,
                      "SECRET_KEY": "bench"})
    with app.app_context():
        markets = {m.code: m.id for m in db.session.scalars(sa.select(Market))}
        station = db.session.scalar(sa.select(Market.station_org_id).where(
            Market.code == "BL-M01"))
        prepared = []
        for raw in rows:
            rec = StationRecordIn.model_validate(dict(raw, uid="direct-" + raw["uid"]))
            data = intake.normalized(rec)
            from decimal import Decimal

            verdict, reason = judging.judge(rec.method,
                                            inhibition_pct=Decimal(data["inhibition_pct"]))
            prepared.append({
                "uid": rec.uid, "content_hash": intake.content_hash(data),
                "station_org_id": station, "market_id": markets[rec.market],
                "stall": rec.stall, "vendor": rec.vendor, "food_name": rec.food_name,
                "food_category": rec.food_category, "test_item": rec.test_item,
                "analyte_key": None, "method": rec.method,
                "inhibition_pct": data["inhibition_pct"], "tc_ratio": None, "tc_cutoff": None,
                "assay": None, "kit_result": None, "station_verdict": rec.station_verdict,
                "server_verdict": verdict, "server_reason": reason,
                "disagreement": verdict != rec.station_verdict, "tested_at": rec.tested_at,
                "tested_on": local_date(rec.tested_at), "operator": rec.operator,
                "instrument_serial": rec.instrument_serial, "kit_lot": rec.kit_lot,
                "raw_line": rec.raw_line, "corrects_id": None, "correction_reason": None,
                "published": False, "published_at": None,
                "created_at": dt.datetime.now(dt.UTC)})
        batch_id = db.session.scalar(sa.select(sa.func.min(StationBatch.id)))
        table = StationResult.__table__
        started = time.perf_counter()
        for i in range(0, len(prepared), batch):
            with db.engine.begin() as conn:
                conn.execute(sa.insert(table), [dict(r, batch_id=batch_id)
                                                for r in prepared[i:i + batch]])
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="parallel uploaders (default: --workers)")
    args = parser.parse_args()
    concurrency = args.concurrency or args.workers
    tmp = Path(tempfile.mkdtemp(prefix="lims-station-bench-"))
    url, drop = scratch_database(args.engine, tmp)
    proc = None
    try:
        token = seed(url, tmp)
        rows = records(args.records, "st")
        proc, base = start_gunicorn(url, tmp, args.workers)
        api_s = upload(base, token, rows, args.batch, concurrency)
        proc.terminate()
        proc.wait(timeout=30)
        proc = None
        direct_s = direct_insert(url, tmp, rows, args.batch)
        api_rate, direct_rate = args.records / api_s, args.records / direct_s
        print(f"engine {args.engine}: {args.records:,} records in batches of {args.batch}, "
              f"gunicorn -w {args.workers}, {concurrency} uploader(s)")
        print(f"  HTTP API       {api_s:8.2f} s  {api_rate:10,.0f} records/s")
        print(f"  direct insert  {direct_s:8.2f} s  {direct_rate:10,.0f} records/s")
        print(f"  ratio API/direct: {api_rate / direct_rate:.2f} (target ≥ 0.30)")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
