"""The server killed (SIGKILL) while a station's batch is being stored, then restarted.

A real gunicorn process on a free loopback port, on this test's database (SQLite file or
PostgreSQL), takes the batch.  A gunicorn config hook (``post_worker_init``, test-only) holds
the station upload at one point of its transaction — just before COMMIT, or just after it,
before the reply is sent — and writes a marker file; the test then kills the whole process
group.  That makes the kill land inside the request every time, not by luck of timing.

After the restart the batch is whole or absent (never part of it), and the client's retry —
the same batch sent again, or the station agent's queue flushed again — stores it exactly
once.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.instruments.agent import HOLD, RETRY, Agent, StationUploader
from lims.instruments.agent_queue import ReadingQueue
from lims.instruments.registry import get_driver
from lims.instruments.simulators import make_simulator
from lims.instruments.transport import InstrumentSession, Port
from lims.stations.models import StationBatch, StationResult
from lims.users.roles import Role
from lims.users.services import issue_token

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
BATCH_SIZE = 1000  # the most a batch may hold (lims.stations.intake.max_records)

# Loaded by gunicorn with -c: the worker holds the first station upload at the point named by
# $KILL_TEST_HOLD ("before_commit" or "after_commit"), tells the test through a marker file,
# and sleeps there until it is killed.
HOOK = '''
import os
import time

bind = os.environ["KILL_TEST_BIND"]
workers = 1
timeout = 120
accesslog = "-"


def post_worker_init(worker):
    hold = os.environ.get("KILL_TEST_HOLD")
    if not hold:
        return
    from flask import has_request_context, request
    from sqlalchemy import event, text
    from sqlalchemy.orm import Session

    from lims.extensions import db

    marker = os.environ["KILL_TEST_MARKER"]
    count = text("SELECT count(*) FROM station_result")

    def stop_here(session):
        if has_request_context() and request.method == "POST" \\
                and request.path == "/api/v1/stations/results" and not os.path.exists(marker):
            # the rows as this request sees them: its own open transaction before COMMIT,
            # the database (another connection) after
            if hold == "before_commit":
                rows = session.execute(count).scalar()
            else:
                with db.engine.connect() as conn:
                    rows = conn.execute(count).scalar()
            with open(marker, "w") as fh:
                fh.write(f"{hold} {rows}")
            time.sleep(60)

    event.listen(Session, hold, stop_here)
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn wsgi:app in its own process group, on the test's database."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.marker = tmp_path / "held"
        self.log = tmp_path / "gunicorn.log"
        self.conf = tmp_path / "gunicorn_conf.py"
        self.conf.write_text(HOOK, encoding="utf-8")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LIMS_")}
        self.env.update(LIMS_DATABASE_URL=database_url, LIMS_SECRET_KEY="kill-test-secret",
                        LIMS_INSTANCE_PATH=str(tmp_path / "instance"),
                        KILL_TEST_BIND=f"127.0.0.1:{self.port}",
                        KILL_TEST_MARKER=str(self.marker))
        self.proc: subprocess.Popen | None = None

    def start(self, token: str, *, hold: str | None = None) -> None:
        env = dict(self.env)
        if hold:
            env["KILL_TEST_HOLD"] = hold
        self.proc = subprocess.Popen([str(GUNICORN), "-c", str(self.conf), "wsgi:app"],
                                     cwd=ROOT, env=env, stdout=self.log.open("ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/api/v1/me", timeout=2,
                             headers={"Authorization": f"Bearer {token}"}).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start:\n" + self.log.read_text()[-3000:])

    def wait_held(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            assert time.monotonic() < deadline, \
                "the upload never reached the hold point:\n" + self.log.read_text()[-3000:]
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.05)
        return self.marker.read_text()

    def kill(self) -> None:
        """SIGKILL to master and worker alike: nothing gets to finish or clean up."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
            self.proc = None


@pytest.fixture
def station(app, make_user):
    """The Bole station operator (demo markets are in the reference world) and a token."""
    operator = make_user("sun", org_code="BL-ST01", roles=(Role.STATION_OPERATOR,),
                         display_name="孙快检")
    token = issue_token(operator, name="station").token
    db.session.commit()
    db.session.remove()
    return token


@pytest.fixture
def server(app, tmp_path):
    running = Server(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    yield running
    running.stop()


def _morning_batch(n: int, prefix: str) -> list[dict]:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    return [{"uid": f"{prefix}-{i:05d}", "market": "BL-M01", "stall": f"A-{i % 180 + 1:03d}",
             "vendor": "王记蔬菜", "food_name": "菠菜", "food_category": "蔬菜",
             "test_item": "有机磷和氨基甲酸酯类农药", "method": "enzyme_inhibition",
             "inhibition_pct": "62.0" if i % 97 == 0 else "18.5",
             "station_verdict": "positive" if i % 97 == 0 else "negative",
             "tested_at": (start + dt.timedelta(seconds=i)).isoformat(), "operator": "孙快检",
             "instrument_serial": "PR-2024-0117", "kit_lot": "K20261101"}
            for i in range(1, n + 1)]


def _stored(uids: list[str]) -> int:
    """Rows of these uids, read afresh (no session state carried over)."""
    db.session.remove()
    return db.session.scalar(sa.select(sa.func.count(StationResult.id))
                             .where(StationResult.uid.in_(uids)))


def _batches() -> int:
    db.session.remove()
    return db.session.scalar(sa.select(sa.func.count(StationBatch.id)))


def _send_in_background(url: str, token: str, body: dict) -> tuple[threading.Thread, list]:
    outcome: list = []

    def send():
        try:
            outcome.append(httpx.post(f"{url}/api/v1/stations/results", json=body, timeout=90,
                                      headers={"Authorization": f"Bearer {token}"}))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=send)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize(("hold", "after_restart"), [("before_commit", 0),
                                                     ("after_commit", BATCH_SIZE)])
def test_a_batch_killed_in_flight_is_whole_or_absent_and_its_resend_stores_it_once(
        server, station, hold, after_restart):
    records = _morning_batch(BATCH_SIZE, f"BL-ST01-KILL-{hold}")
    uids = [r["uid"] for r in records]
    server.start(station, hold=hold)
    sender, outcome = _send_in_background(server.url, station, {"records": records})
    # every row of the batch is written (in the open transaction, or committed) when killed
    assert server.wait_held() == f"{hold} {BATCH_SIZE}"
    server.kill()
    sender.join(timeout=30)
    # the station's uploader got no answer: it cannot know whether the batch was stored
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.HTTPError), outcome

    server.start(station)
    # killed before COMMIT: nothing of it; killed after: all of it — never part
    assert _stored(uids) == after_restart
    assert _batches() == (1 if after_restart else 0)

    headers = {"Authorization": f"Bearer {station}"}
    again = httpx.post(f"{server.url}/api/v1/stations/results", json={"records": records},
                       headers=headers, timeout=90)
    assert again.status_code == 200, again.text[:1000]
    assert again.json()["accepted"] == BATCH_SIZE
    assert again.headers["Idempotent-Replayed"] == ("true" if after_restart else "false")
    twice = httpx.post(f"{server.url}/api/v1/stations/results", json={"records": records},
                       headers=headers, timeout=90)
    assert twice.headers["Idempotent-Replayed"] == "true"
    assert twice.json()["batch_id"] == again.json()["batch_id"]
    assert _stored(uids) == BATCH_SIZE
    assert _batches() == 1


class _Clock:
    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def pesticide_reader():
    sim = make_simulator("pesticide-reader", "sleep 0.3; pesticide 1 S-001 0.312 0.290; "
                         "pesticide 2 S-002 0.312 0.105; pesticide 3 S-003 0.300 0.280")
    url = sim.serve_tcp()
    driver = get_driver("pesticide-reader")
    session = InstrumentSession(driver, Port(url, driver.default_settings.with_(timeout=1.0)))
    yield session
    session.close()
    sim.stop()


@pytest.mark.parametrize("hold", ["before_commit", "after_commit"])
def test_the_station_agent_delivers_exactly_once_across_a_killed_server(
        server, station, pesticide_reader, tmp_path, hold):
    sheet = tmp_path / "samples.csv"
    sheet.write_text("sample_id,stall,vendor,food_name,food_category\n"
                     "S-001,A-12,王记蔬菜,菠菜,蔬菜\nS-002,A-15,,韭菜,蔬菜\n"
                     "S-003,A-22,,芹菜,蔬菜\n", encoding="utf-8")
    uploader = StationUploader(server.url, station, "BL-M01", operator="孙快检",
                               sample_sheet=sheet, kit_lot="K20261101", timeout=90)
    queue = ReadingQueue(tmp_path / "queue.db")
    agent = Agent(pesticide_reader, uploader, queue, poll_interval=0.1, clock=_Clock())
    uids = [agent.listen_once(3.0) for _ in range(3)]
    assert all(uids) and queue.counts()["pending"] == 3

    server.start(station, hold=hold)
    flushed: list[dict] = []
    flusher = threading.Thread(target=lambda: flushed.append(agent.flush()))
    flusher.start()
    assert server.wait_held() == f"{hold} 1"  # the first reading's row, then killed
    server.kill()
    flusher.join(timeout=30)
    # the first reading's request died with the server; the agent keeps all three queued
    assert flushed == [{"delivered": 0, "rejected": 0, RETRY: 1, HOLD: 0}]
    assert queue.counts() == {"pending": 3, "sent": 0, "rejected": 0}
    assert _stored(uids) == (1 if hold == "after_commit" else 0)

    server.start(station)
    agent.clock.t += 60  # past the retry back-off
    assert agent.flush() == {"delivered": 3, "rejected": 0, RETRY: 0, HOLD: 0}
    assert queue.counts() == {"pending": 0, "sent": 3, "rejected": 0}
    db.session.remove()
    stored = db.session.execute(sa.select(StationResult.uid, StationResult.stall)
                                .where(StationResult.uid.in_(uids))
                                .order_by(StationResult.uid)).all()
    assert [tuple(r) for r in stored] == sorted(zip(uids, ["A-12", "A-15", "A-22"],
                                                    strict=True))
    # a further flush has nothing to send, and a resend stores nothing new
    assert agent.flush() == {"delivered": 0, "rejected": 0, RETRY: 0, HOLD: 0}
    assert uploader.post_reading(queue.get(uids[0]).payload).outcome == "delivered"
    assert _stored(uids) == 3
    queue.close()
    uploader.close()
