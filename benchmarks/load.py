"""Load test: gunicorn (4 workers) on a fresh PostgreSQL database holding the demo world.

    .venv/bin/python benchmarks/load.py --duration 120

Setup (not timed): create a database, ``lims demo`` into it, start gunicorn, register and
route samples so that the prefecture lab has tests to enter, sign the virtual users in.
Then for ``--duration`` seconds, on loopback:

* ``--users`` (50) people at the same time: most browse (sample list, sample pages, the
  instruments list, the sampling rules); one in five enters results through the API
  (``/api/v1/results``), or registers samples through ``POST /api/v1/samples`` when the results
  package is not installed.  Each waits ``--think`` seconds (default 3, ±50 %) between
  actions, as people do (someone reading a sample page or weighing the next portion clicks
  less often still); ``--think 1`` is a rush, ``--think 0`` a closed-loop stress test.  A
  result-entering user reloads its assigned tests every ``--assigned-every`` entries.
* ``--stations`` (5) rapid-test stations uploading batches of ``--batch`` results each
  ``--station-interval`` seconds through ``/api/v1/stations/results`` (skipped with a note when
  the stations package is not installed).
* Arrivals are spread: each user's and station's first action comes at a random moment within
  its first pause, so the run measures the steady state rather than 55 requests fired at the
  same instant at t = 0 (with ``--think 0`` they all start at once).

Prints per endpoint: requests, throughput, p50/p95/p99 latency and errors; then the totals and
the verdict against the target (no errors, p95 < 300 ms).  Exit status 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEMO_PASSWORD = "Demo-lims-2026"
BROWSERS = ["receiver", "tech", "reviewer", "signatory", "supervisor", "admin"]
TARGET_P95_MS = 300.0
RECEIPT = dict(task_type="supervision", food_name="菠菜", subcategory="34-6",
               business_name="博乐市农贸市场 12 号摊位", business_county="博乐市",
               sampled_on="2026-11-20", quantity="2", quantity_unit="kg", condition_ok="yes")


# --- setup -----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def create_database(admin_url: str) -> tuple[str, str]:
    name = f"lims_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, sa.engine.make_url(admin_url).set(database=name).render_as_string(False)


def drop_database(admin_url: str, name: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def build_demo(env: dict[str, str]) -> None:
    # Tables of packages whose migration is not written yet are created from the models, as
    # the test suite does, so that the benchmark runs on work in progress too.
    subprocess.run([str(VENV_BIN / "python"), "-c",
                    "from flask_migrate import upgrade\n"
                    "from lims import create_app\nfrom lims.extensions import db\n"
                    "app = create_app()\n"
                    "with app.app_context():\n"
                    "    upgrade(); db.metadata.create_all(db.engine, checkfirst=True)\n"],
                   env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([str(VENV_BIN / "lims"), "demo"], env=env, cwd=ROOT, check=True,
                   capture_output=True)


def issue_tokens(env: dict[str, str], usernames: list[str]) -> dict[str, str]:
    tokens = {}
    for username in usernames:
        done = subprocess.run([str(VENV_BIN / "lims"), "users", "token", username,
                               "--name", "load-test"], env=env, cwd=ROOT, check=True,
                              capture_output=True, text=True)
        tokens[username] = done.stdout.strip().splitlines()[-1]
    return tokens


def start_gunicorn(env: dict[str, str], port: int, workers: int,
                   threads: int) -> subprocess.Popen:
    log = open(Path(env["LIMS_INSTANCE_PATH"]) / "gunicorn.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", str(workers), "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", "--access-logfile", str(access_log(env)),
         "--access-logformat", "%(m)s %(U)s %(s)s %(D)s",
         "--timeout", "60", "--graceful-timeout", "5", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log.name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def access_log(env: dict[str, str]) -> Path:
    return Path(env["LIMS_INSTANCE_PATH"]) / "access.log"


def server_times(path: Path, skip: int) -> list[float]:
    """Milliseconds each request spent inside a gunicorn worker (from its access log), for
    the requests after the first ``skip`` lines: the client's latency minus this is time spent
    waiting for a free worker or for the CPU."""
    times = []
    with path.open() as log:
        for number, line in enumerate(log):
            parts = line.split()
            if number >= skip and len(parts) == 4 and parts[3].isdigit():
                times.append(int(parts[3]) / 1000)
    return times


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: the master and its workers
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not match:
        raise SystemExit("no CSRF token on the login page")
    return match.group(1)


def prepare_samples(base: str, receiver: str, count: int) -> list[str]:
    """Register, route (everything to the prefecture lab) and receive ``count`` samples."""
    headers = {"Authorization": f"Bearer {receiver}"}
    numbers = []
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for i in range(count):
            created = client.post("/api/v1/samples", json={
                **RECEIPT, "business_name": f"博乐市农贸市场 {i + 1} 号摊位"})
            created.raise_for_status()
            sample = created.json()
            numbers.append(sample["number"])
            routed = client.post(f"/api/v1/samples/{sample['number']}/route", json={
                "assignments": {str(t["id"]): "BZ-LAB" for t in sample["tests"]
                                if not t["removed"]}})
            routed.raise_for_status()
            for part in routed.json()["samples"]:
                client.post(f"/api/v1/samples/{part}/receive",
                            json={"condition": "完好"}).raise_for_status()
    return numbers


CANDIDATES = ["1.2345", "0.5", "10", "2.000", "25.0", "100"]


def prepare_results(base: str, tech: str, limit: int) -> list[dict]:
    """Tests whose result can be entered with plain values; a first result is stored for each
    (untimed), so that the timed loop edits results as a bench does after a recheck."""
    headers = {"Authorization": f"Bearer {tech}"}
    work = []
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        tests, cursor = [], None
        while len(tests) < 4 * limit:  # keyset pages (50 a page unless ``limit`` is given)
            assigned = client.get("/api/v1/results/assigned",
                                  params={"after": cursor} if cursor else None)
            assigned.raise_for_status()
            tests += assigned.json()["tests"]
            cursor = assigned.json().get("next")
            if not cursor:
                break
        for test in tests:
            if len(work) >= limit:
                break
            method = test.get("method")
            if not method or test.get("result"):
                continue
            names = [i["name"] for i in method["inputs"] if i.get("required", True)]
            for value in CANDIDATES:
                response = client.post(f"/api/v1/results/tests/{test['test_id']}",
                                       json={"inputs": {n: value for n in names}})
                if response.status_code in (200, 201):
                    work.append({"test_id": test["test_id"], "names": names, "value": value,
                                 "version": response.json().get("version")})
                    break
    return work


# --- the timed run ---------------------------------------------------------------------------

class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.elapsed = 0.0
        self.server_ms: list[float] = []
        self.log_skip = 0
        self.stations = 0

    async def call(self, name: str, request) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as exc:
            self._error(name, f"{type(exc).__name__}: {exc}")
            return None
        self.latencies[name].append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            self._error(name, f"{response.status_code} {response.text[:200]}")
        return response

    def _error(self, name: str, text: str) -> None:
        self.errors[name] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{name}: {text}")


def _pause(think: float) -> float:
    return random.uniform(0.5 * think, 1.5 * think) if think > 0 else 0


def _arrival(think: float) -> float:
    # People do not all click at the same instant: each virtual user's first action comes at
    # a random moment within one pause.  Without this, all 55 first requests hit the 4
    # workers together and wait ~1 s in the listen queue: a start-up artefact, not load.
    return random.uniform(0, think) if think > 0 else 0


async def browser_user(client: httpx.AsyncClient, rec: Recorder, numbers: list[str],
                       deadline: float, think: float) -> None:
    actions = [("GET /samples/", 4, lambda: "/samples/"),
               ("GET /samples/<number>", 4, lambda: f"/samples/{random.choice(numbers)}"),
               ("GET /samples/?q=", 1, lambda: "/samples/?q=" + random.choice(numbers)[-6:]),
               ("GET /instruments/", 1, lambda: "/instruments/"),
               ("GET /foods/", 1, lambda: "/foods/"),
               ("GET /foods/<code>", 1, lambda: "/foods/34-6")]
    weights = [a[1] for a in actions]
    await asyncio.sleep(_arrival(think))
    while time.monotonic() < deadline:
        name, _, path = random.choices(actions, weights)[0]
        await rec.call(name, client.get(path()))
        await asyncio.sleep(_pause(think))


async def result_user(client: httpx.AsyncClient, rec: Recorder, tests: list[dict],
                      deadline: float, think: float, assigned_every: int) -> None:
    """Re-enters its own tests' results with a reason (a recheck), alternating two values."""
    turn = 0
    await asyncio.sleep(_arrival(think))
    while time.monotonic() < deadline and tests:
        test = tests[turn % len(tests)]
        turn += 1
        value = test["value"] if turn % 2 else test["value"] + "1"
        response = await rec.call("POST /api/v1/results/tests/<id>", client.post(
            f"/api/v1/results/tests/{test['test_id']}",
            json={"inputs": {n: value for n in test["names"]}, "version": test["version"],
                  "reason": "复测后修正"}))
        if response is not None and response.status_code in (200, 201):
            test["version"] = response.json().get("version")
        if assigned_every and turn % assigned_every == 0:
            await rec.call("GET /api/v1/results/assigned", client.get("/api/v1/results/assigned"))
        await asyncio.sleep(_pause(think))


async def register_user(client: httpx.AsyncClient, rec: Recorder, deadline: float,
                        think: float) -> None:
    n = 0
    await asyncio.sleep(_arrival(think))
    while time.monotonic() < deadline:
        n += 1
        await rec.call("POST /api/v1/samples", client.post("/api/v1/samples", json={
            **RECEIPT, "business_name": f"博乐市青得里超市 {n}"}))
        await asyncio.sleep(_pause(think))


async def station(client: httpx.AsyncClient, rec: Recorder, market: str, operator: str,
                  batch: int, deadline: float, interval: float) -> None:
    tz = dt.timezone(dt.timedelta(hours=8))
    await asyncio.sleep(_arrival(interval))
    while time.monotonic() < deadline:
        now = dt.datetime.now(tz).replace(microsecond=0)
        records = []
        for i in range(batch):
            rate = random.randint(5, 45)  # below 50 %: negative, no confirmation task
            records.append({
                "uid": uuid.uuid4().hex, "market": market, "stall": f"{i % 40 + 1}",
                "food_name": random.choice(["菠菜", "油麦菜", "芹菜", "小白菜", "韭菜"]),
                "food_category": "蔬菜", "test_item": "有机磷和氨基甲酸酯类农药",
                "method": "enzyme_inhibition", "inhibition_pct": f"{rate}.0",
                "station_verdict": "negative", "tested_at": now.isoformat(),
                "operator": operator, "instrument_serial": "RP-2026-001", "kit_lot": "K2611"})
        await rec.call("POST /api/v1/stations/results",
                       client.post("/api/v1/stations/results", json={"records": records}))
        await asyncio.sleep(_pause(interval))


async def run_load(base: str, args, numbers: list[str], tokens: dict[str, str],
                   result_work: list[dict] | None, markets: dict[str, str],
                   log: Path) -> Recorder:
    rec = Recorder()
    limits = httpx.Limits(max_connections=args.users + args.stations + 5)
    clients: list[httpx.AsyncClient] = []

    def client(**kw) -> httpx.AsyncClient:
        c = httpx.AsyncClient(base_url=base, timeout=30, limits=limits, **kw)
        clients.append(c)
        return c

    writers = max(1, args.users // 5)
    browsers = args.users - writers
    sessions = []
    for i in range(browsers):
        c = client()
        # Sign-in (argon2) is part of the setup, not of the figures.
        page = await c.get("/login")
        response = await c.post("/login", data={
            "username": BROWSERS[i % len(BROWSERS)], "password": DEMO_PASSWORD,
            "csrf_token": _csrf(page.text)})
        if response.status_code != 302:
            raise SystemExit(f"sign-in failed for {BROWSERS[i % len(BROWSERS)]}")
        sessions.append(c)
    _log(f"{browsers} browsing sessions signed in; running for {args.duration} s")
    await asyncio.sleep(1)  # the sign-ins reach the access log; the timed requests follow
    rec.log_skip = sum(1 for _ in log.open())
    deadline = time.monotonic() + args.duration
    tasks = [browser_user(c, rec, numbers, deadline, args.think) for c in sessions]
    if result_work is not None:
        share = [result_work[i::writers] for i in range(writers)]
        tech = {"Authorization": f"Bearer {tokens['tech']}"}
        tasks += [result_user(client(headers=tech), rec, share[i], deadline, args.think,
                              args.assigned_every) for i in range(writers)]
    else:
        receiver = {"Authorization": f"Bearer {tokens['receiver']}"}
        tasks += [register_user(client(headers=receiver), rec, deadline, args.think)
                  for _ in range(writers)]
    station_names = list(markets)
    rec.stations = args.stations if markets else 0
    for i in range(rec.stations):
        username = station_names[i % len(station_names)]
        headers = {"Authorization": f"Bearer {tokens[username]}"}
        tasks.append(station(client(headers=headers), rec, markets[username],
                             f"{username}-{i}", args.batch, deadline, args.station_interval))
    started = time.monotonic()
    await asyncio.gather(*tasks)
    rec.elapsed = time.monotonic() - started
    for c in clients:
        await c.aclose()
    return rec


def _pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(rec: Recorder, args, notes: list[str]) -> bool:
    elapsed = rec.elapsed
    every = [v for values in rec.latencies.values() for v in values]
    total_errors = sum(rec.errors.values())
    print()
    print(f"load: {args.users} users + {rec.stations} stations, think {args.think} s, "
          f"gunicorn -w {args.workers} --threads {args.threads}, {elapsed:.0f} s, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for note in notes:
        print(f"note: {note}")
    header = f"{'endpoint':<36}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}" \
             f"{'p99 ms':>9}{'errors':>8}"
    print(header)
    print("-" * len(header))
    for name in sorted(rec.latencies):
        values = rec.latencies[name]
        print(f"{name:<36}{len(values):>9}{len(values) / elapsed:>8.1f}"
              f"{_pct(values, 50):>9.1f}{_pct(values, 95):>9.1f}{_pct(values, 99):>9.1f}"
              f"{rec.errors.get(name, 0):>8}")
    print("-" * len(header))
    if every:
        p95 = _pct(every, 95)
        print(f"{'all':<36}{len(every):>9}{len(every) / elapsed:>8.1f}{_pct(every, 50):>9.1f}"
              f"{p95:>9.1f}{_pct(every, 99):>9.1f}{total_errors:>8}")
    else:
        p95 = float("inf")
    if rec.server_ms:
        inside = rec.server_ms
        print(f"{'inside the workers (access log)':<36}{len(inside):>9}{'':>8}"
              f"{_pct(inside, 50):>9.1f}{_pct(inside, 95):>9.1f}{_pct(inside, 99):>9.1f}")
    for sample in rec.error_samples:
        print(f"error: {sample}")
    ok = total_errors == 0 and p95 < TARGET_P95_MS
    print(f"target (no errors, p95 < {TARGET_P95_MS:.0f} ms): {'met' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--stations", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per gunicorn worker (more than 1 selects gthread)")
    parser.add_argument("--think", type=float, default=3.0,
                        help="seconds between a user's actions (mean); 0 = no pause")
    parser.add_argument("--assigned-every", type=int, default=10,
                        help="a result-entering user reloads its assigned tests every N "
                             "entries (0: never)")
    parser.add_argument("--batch", type=int, default=50, help="records per station upload")
    parser.add_argument("--station-interval", type=float, default=5.0)
    parser.add_argument("--samples", type=int, default=60, help="samples prepared for browsing")
    parser.add_argument("--admin-url", default=os.environ.get(
        "LIMS_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    name, url = create_database(args.admin_url)
    instance = Path(tempfile.mkdtemp(prefix="lims-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIMS_")}
    env.update(LIMS_DATABASE_URL=url, LIMS_INSTANCE_PATH=str(instance),
               LIMS_SECRET_KEY=uuid.uuid4().hex, LIMS_PUBLIC_BASE_URL="http://127.0.0.1")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = None
    notes: list[str] = []
    try:
        _log(f"database {name}: lims demo")
        build_demo(env)
        tokens = issue_tokens(env, ["receiver", "tech", "bl_station", "jh_station"])
        gunicorn = start_gunicorn(env, port, args.workers, args.threads)
        _log(f"gunicorn -w {args.workers} on {base}; preparing {args.samples} samples")
        numbers = prepare_samples(base, tokens["receiver"], args.samples)
        result_work = None
        if httpx.get(base + "/api/v1/results/assigned", timeout=30, headers={
                "Authorization": f"Bearer {tokens['tech']}"}).status_code != 404:
            result_work = prepare_results(base, tokens["tech"], limit=200)
            notes.append(f"results entered through /api/v1/results on {len(result_work)} tests")
            if not result_work:
                result_work = None
                notes.append("no test accepted plain input values: registering samples instead")
        else:
            notes.append("lims/results not installed: writers register samples instead")
        markets: dict[str, str] = {}
        for username in ("bl_station", "jh_station"):
            response = httpx.get(base + "/api/v1/stations/markets", timeout=30, headers={
                "Authorization": f"Bearer {tokens[username]}"})
            if response.status_code == 200 and response.json().get("markets"):
                markets[username] = response.json()["markets"][0]["code"]
        if not markets:
            notes.append("stations skipped: /api/v1/stations/results is not installed")
        rec = asyncio.run(run_load(base, args, numbers, tokens, result_work, markets,
                                   access_log(env)))
        time.sleep(1)
        rec.server_ms = server_times(access_log(env), rec.log_skip)
        ok = report(rec, args, notes)
    finally:
        if gunicorn is not None:
            stop_gunicorn(gunicorn)
        if not args.keep:
            drop_database(args.admin_url, name)
            shutil.rmtree(instance, ignore_errors=True)
        else:
            print(f"kept database {name} and {instance}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
