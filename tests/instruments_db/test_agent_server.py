"""The bench agent against the real LIMS server process on loopback, stopped and restarted.

The server is ``lims run`` on a SQLite file whose schema is made by the migrations
(``flask_migrate.upgrade()``), as in production.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lims.instruments.agent import Agent, ServerClient
from lims.instruments.agent_queue import ReadingQueue
from lims.instruments.registry import get_driver
from lims.instruments.simulators import make_simulator
from lims.instruments.transport import InstrumentSession, Port

ROOT = Path(__file__).resolve().parents[2]
LIMS = ROOT / ".venv" / "bin" / "lims"
PASSWORD = "Bench-agent-2026!"

SETUP = """
import datetime as dt, json
from flask_migrate import upgrade
from lims import create_app
from lims.audit.context import Actor, acting_as
from lims.extensions import db
from lims.instruments import services
from lims.orgs.services import load_network, org_by_code
from lims.users.roles import Role
from lims.users.services import create_user, issue_token

app = create_app()
with app.app_context(), acting_as(Actor(None, "test-setup")):
    upgrade()
    load_network()
    user = create_user("wang", org=org_by_code("BZ-LAB"), roles=[Role.TECHNICIAN],
                       password=%(password)r)
    today = services.local_date()
    for code, start, end in (("BZ-BAL-01", -100, 200), ("BZ-BAL-02", -400, -5)):
        inst = services.register_instrument(code=code, name=code, kind="balance",
            driver="mt-sics", org=org_by_code("BZ-LAB"), serial_number="B123456789", bench="1")
        services.add_certificate(inst, number="JZ-" + code, kind="calibration",
            issued_by="州计量所", valid_from=today + dt.timedelta(days=start),
            valid_until=today + dt.timedelta(days=end))
    token = issue_token(user, name="bench agent").token
    db.session.commit()
    print(json.dumps({"token": token}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LimsServer:
    """``lims run`` in a subprocess on 127.0.0.1, against one SQLite file."""

    def __init__(self, tmp_path: Path) -> None:
        self.db_path = tmp_path / "server.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LIMS_DATABASE_URL": f"sqlite:///{self.db_path}",
                    "LIMS_INSTANCE_PATH": str(tmp_path / "instance"),
                    "LIMS_SECRET_KEY": "agent-e2e-secret", "FLASK_DEBUG": "0",
                    # plain HTTP on localhost: the session cookie without the Secure flag
                    "LIMS_ENV": "testing"}
        self.proc: subprocess.Popen | None = None
        self.log = tmp_path / "server.log"

    def setup(self) -> str:
        out = subprocess.run([sys.executable, "-c", SETUP % {"password": PASSWORD}],
                             env=self.env, capture_output=True, text=True, timeout=120,
                             cwd=ROOT)
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])["token"]

    def start(self, token: str) -> None:
        self.proc = subprocess.Popen(
            [str(LIMS), "run", "--host", "127.0.0.1", "--port", str(self.port), "--no-reload",
             "--no-debugger"], env=self.env, cwd=ROOT,
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                resp = httpx.get(f"{self.url}/api/v1/me", timeout=1,
                                 headers={"Authorization": f"Bearer {token}"})
                if resp.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the LIMS server did not start:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def readings(self, code: str) -> list[tuple[str, str, int | None]]:
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(
                "SELECT r.uid, r.value, r.request_id FROM instrument_reading r "
                "JOIN instrument i ON i.id = r.instrument_id WHERE i.code = ? ORDER BY r.id",
                (code,)).fetchall()


class Clock:
    """The agent's clock, advanced by hand past its retry back-off."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def lims_server(tmp_path):
    server = LimsServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def simulated_balance():
    opened = []

    def make(script: str) -> InstrumentSession:
        sim = make_simulator("mt-sics", script)
        url = sim.serve_tcp()
        driver = get_driver("mt-sics")
        session = InstrumentSession(driver, Port(url, driver.default_settings.with_(timeout=1.0)))
        opened.append((sim, session))
        return session

    yield make
    for sim, session in opened:
        session.close()
        sim.stop()


def make_agent(tmp_path, server, token, code, session) -> Agent:
    queue = ReadingQueue(tmp_path / f"queue-{code}.db")
    client = ServerClient(server.url, token, code, timeout=3)
    return Agent(session, client, queue, poll_interval=0.1, read_timeout=5, clock=Clock())


def page_session(server) -> httpx.Client:
    """A technician logged in on the real server's pages (session cookie + CSRF token)."""
    web = httpx.Client(base_url=server.url, timeout=5)
    page = web.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = web.post("/login", data={"username": "wang", "password": PASSWORD,
                                    "csrf_token": token})
    assert resp.status_code == 302, resp.text[:500]
    page = web.get("/instruments/").text  # login starts a new session: a new CSRF token
    web.headers["X-CSRFToken"] = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return web


def test_every_reading_arrives_exactly_once_across_an_outage(tmp_path, lims_server,
                                                               simulated_balance):
    token = lims_server.setup()
    lims_server.start(token)
    # the technician presses PRINT four times; then the pan holds 12.34 g for a capture
    session = simulated_balance("sleep 0.5; print 1.01 g; print 1.02 g; print 1.03 g; print 1.04 g; "
                                "stable 12.34 g")
    agent = make_agent(tmp_path, lims_server, token, "BZ-BAL-01", session)
    agent.identify()
    assert agent.serial_number == "B123456789"

    uids = [agent.listen_once(3.0), agent.listen_once(3.0)]
    assert agent.flush()["delivered"] == 2
    assert [r[1] for r in lims_server.readings("BZ-BAL-01")] == ["1.01", "1.02"]

    lims_server.stop()  # the server goes down; the bench keeps weighing
    uids += [agent.listen_once(3.0), agent.listen_once(3.0)]
    assert agent.flush()["retry"] == 1
    assert agent.queue.counts() == {"pending": 2, "sent": 2, "rejected": 0}
    agent.handle_requests()  # no server: no requests, nothing read, nothing lost
    assert agent.queue.counts()["pending"] == 2

    lims_server.start(token)
    agent.clock.t += 10  # past the retry back-off
    assert agent.flush()["delivered"] == 2
    assert agent.queue.counts() == {"pending": 0, "sent": 4, "rejected": 0}

    # a resend of an already delivered reading (reply lost) is answered, not stored again
    resend = agent.client.post_reading(agent.queue.get(uids[0]).payload)
    assert (resend.outcome, resend.status_code) == ("delivered", 200)

    # the technician presses "capture" on the page; the agent reads the balance for it
    web = page_session(lims_server)
    resp = web.post("/instruments/BZ-BAL-01/capture", headers={"Accept": "application/json"})
    assert resp.status_code == 201, resp.text[:500]
    request_id, poll = resp.json()["request_id"], resp.json()["poll"]
    captured = agent.handle_requests()
    assert len(captured) == 1
    agent.handle_requests()  # the same request is not read twice
    agent.flush()
    filled = web.get(poll).json()
    assert filled["reading"]["value"] == "12.34" and filled["request"]["state"] == "fulfilled"
    uids += captured

    stored = lims_server.readings("BZ-BAL-01")
    assert [r[0] for r in stored] == uids  # each exactly once, in order
    assert [r[1] for r in stored] == ["1.01", "1.02", "1.03", "1.04", "12.34"]
    assert stored[-1][2] == request_id
    web.close()
    agent.client.close()
    agent.queue.close()


def test_out_of_calibration_is_rejected_through_the_agent_and_not_retried(
        tmp_path, lims_server, simulated_balance):
    token = lims_server.setup()
    lims_server.start(token)
    session = simulated_balance("sleep 0.5; print 2.50 g")
    agent = make_agent(tmp_path, lims_server, token, "BZ-BAL-02", session)
    agent.identify()
    uid = agent.listen_once(3.0)
    assert agent.flush()["rejected"] == 1
    item = agent.queue.get(uid)
    assert item.state == "rejected" and "过期" in item.last_error and "BZ-BAL-02" in item.last_error
    agent.clock.t += 1000
    assert agent.flush() == {"delivered": 0, "rejected": 0, "retry": 0, "hold": 0}  # never retried
    assert lims_server.readings("BZ-BAL-02") == []
    # and the page refuses the capture with the same reason
    web = page_session(lims_server)
    resp = web.post("/instruments/BZ-BAL-02/capture", headers={"Accept": "application/json"})
    assert resp.status_code == 422 and "过期" in resp.json()["error"]
    with sqlite3.connect(lims_server.db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM instrument_capture_request").fetchone() == (0,)
    web.close()
    agent.client.close()
    agent.queue.close()
