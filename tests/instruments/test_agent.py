"""The bench agent: local queue, offline delivery and exactly-once, against a throw-away
HTTP server run in a subprocess and stopped/restarted mid-run."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lims.instruments.agent import Agent, ServerClient, reading_payload
from lims.instruments.agent_queue import ReadingQueue
from lims.instruments.reading import Reading
from lims.instruments.simulators import make_simulator

SERVER = Path(__file__).with_name("fake_lims_server.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeServer:
    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.port = free_port()
        self.state = tmp_path / "server-state.json"
        self.extra = list(extra)
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), str(self.port), str(self.state), *self.extra, *extra],
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("fake server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=5)
            self.proc = None

    def data(self) -> dict:
        return json.loads(self.state.read_text()) if self.state.exists() else {"readings": {}}


@pytest.fixture
def server(tmp_path):
    servers = []

    def make(*extra: str) -> FakeServer:
        s = FakeServer(tmp_path, *extra)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def reading(value: str) -> Reading:
    return Reading(
        value=value, unit="g", stable=True, status="stable",
        raw=f"S S {value:>10} g\r\n".encode(), driver="mt-sics",
        read_at=datetime(2026, 5, 1, 8, 0, tzinfo=UTC),
    )  # fmt: skip


def make_agent(tmp_path, url, session=None, token="secret") -> Agent:
    queue = ReadingQueue(tmp_path / "agent" / "queue.db")
    client = ServerClient(url, token, "BAL-01", timeout=2)
    return Agent(session, client, queue, poll_interval=0.1, clock=Clock())


def test_payload_follows_contract():
    p = reading_payload(reading("100.00"), serial_number="B1", request_id=7)
    assert set(p) == {
        "value", "unit", "stable", "status", "raw_b64", "raw_text", "read_at", "driver",
        "serial_number", "request_id",
    }  # fmt: skip
    assert p["raw_text"] == "S S     100.00 g\\r\\n"
    assert p["read_at"] == "2026-05-01T08:00:00Z"


def test_queue_persists_and_backs_off(tmp_path):
    path = tmp_path / "q.db"
    with ReadingQueue(path) as q:
        uid = q.add({"value": "1"}, now=100.0)
        assert q.counts() == {"pending": 1, "sent": 0, "rejected": 0}
        nxt = q.mark_failed(uid, "down", now=100.0)
        assert nxt == 102.0 and q.due(now=101.0) == []
        assert q.mark_failed(uid, "down", now=102.0) == 106.0
    with ReadingQueue(path) as q:  # reopened: nothing lost
        item = q.get(uid)
        assert item.state == "pending" and item.attempts == 2 and item.last_error == "down"
        assert q._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_offline_then_delivered_exactly_once(tmp_path, server):
    srv = server()
    agent = make_agent(tmp_path, srv.url)
    uids = [agent.capture(reading(v)) for v in ("1.00", "2.00", "3.00")]
    assert agent.flush()["retry"] == 1  # server down: first attempt fails, nothing lost
    assert agent.queue.counts()["pending"] == 3
    srv.start()
    agent.clock.t += 10  # past the backoff
    agent.flush()
    assert agent.queue.counts() == {"pending": 0, "sent": 3, "rejected": 0}
    srv.stop()  # server goes away again mid-run
    uids.append(agent.capture(reading("4.00")))
    agent.flush()
    assert agent.queue.get(uids[-1]).state == "pending"
    srv.start()
    agent.clock.t += 10
    agent.flush()
    agent.flush()
    stored = srv.data()["readings"]
    assert sorted(stored) == sorted(uids)
    assert [stored[u]["value"] for u in uids] == ["1.00", "2.00", "3.00", "4.00"]


def test_lost_reply_is_resent_and_not_duplicated(tmp_path, server):
    srv = server("--drop-first")
    srv.start()
    agent = make_agent(tmp_path, srv.url)
    uid = agent.capture(reading("5.00"))
    assert agent.flush()["retry"] == 1  # stored on the server, but the reply was lost
    assert agent.queue.get(uid).state == "pending"
    agent.clock.t += 10
    assert agent.flush()["delivered"] == 1  # resent with the same key: server says 200
    data = srv.data()
    assert list(data["readings"]) == [uid] and data["posts"] == 2


def test_rejected_reading_is_not_retried(tmp_path, server):
    srv = server("--reject-value", "9.99")
    srv.start()
    agent = make_agent(tmp_path, srv.url)
    bad = agent.capture(reading("9.99"))
    good = agent.capture(reading("1.50"))
    agent.flush()
    assert agent.queue.get(bad).state == "rejected"
    assert agent.queue.get(bad).last_error == "仪器校准已过期"
    assert agent.queue.get(good).state == "sent"
    agent.clock.t += 1000
    agent.flush()
    assert srv.data()["posts"] == 2


def test_bad_token_keeps_readings(tmp_path, server):
    srv = server()
    srv.start()
    agent = make_agent(tmp_path, srv.url, token="wrong")
    uid = agent.capture(reading("1.00"))
    agent.flush()
    item = agent.queue.get(uid)
    assert item.state == "pending" and "401" in item.last_error


def test_capture_request_and_print_key_with_simulator(tmp_path, server, sim_session):
    srv = server("--request", "12:S")
    srv.start()
    sim, session = sim_session("mt-sics", "sleep 0.3; print 7.77 g; stable 100.00 g")
    agent = make_agent(tmp_path, srv.url, session=session)
    agent.identify()
    assert agent.serial_number == "B123456789"
    agent.listen_once(2.0)  # the PRINT key
    agent.handle_requests()  # request 12 -> S
    agent.handle_requests()  # already answered: not read twice
    agent.flush()
    stored = sorted(srv.data()["readings"].values(), key=lambda r: r["value"])
    assert [(r["value"], r["request_id"]) for r in stored] == [("100.00", 12), ("7.77", None)]
    assert all(r["serial_number"] == "B123456789" for r in stored)
    assert sim.requests.count("S") == 1


def test_instrument_fault_on_request_queues_nothing(tmp_path, server, sim_session):
    srv = server("--request", "3:S")
    srv.start()
    _, session = sim_session("mt-sics", "overload")
    agent = make_agent(tmp_path, srv.url, session=session)
    assert agent.handle_requests() == []
    assert agent.errors and agent.errors[0].kind == "overload"
    assert agent.queue.counts() == {"pending": 0, "sent": 0, "rejected": 0}


def test_agent_command_end_to_end(tmp_path, server):
    """``lims agent`` for two cycles: answers request 5 from a simulated balance."""
    from click.testing import CliRunner

    from lims.instruments.cli import agent as agent_cmd

    srv = server("--request", "5:S")
    srv.start()
    sim = make_simulator("mt-sics", "stable 250.00 g")
    url = sim.serve_pty()
    try:
        out = CliRunner().invoke(
            agent_cmd,
            ["--server", srv.url, "--token", "secret", "--instrument", "BAL-01", "--port", url,
             "--driver", "mt-sics", "--queue", str(tmp_path / "q.db"), "--poll", "0.1",
             "--cycles", "2"],
        )  # fmt: skip
    finally:
        sim.stop()
    assert out.exit_code == 0, out.output
    assert json.loads(out.output.strip().splitlines()[-1]) == {
        "pending": 0, "sent": 1, "rejected": 0,
    }  # fmt: skip
    (stored,) = srv.data()["readings"].values()
    assert stored["value"] == "250.00" and stored["request_id"] == 5


def test_agent_survives_unplugged_port(tmp_path, server, sim_session):
    """PortLost during a cycle: queued readings are still delivered, the agent keeps going."""
    import threading

    srv = server()
    srv.start()
    sim, session = sim_session(
        "mt-sics",
        "sleep 0.2; print 1.00 g; sleep 0.3; unplug",
        port_kw={"reconnect_delay": 0.05, "reconnect_attempts": 1},
    )
    agent = make_agent(tmp_path, srv.url, session=session)
    stop = threading.Event()
    t = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    t.start()
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and not srv.data()["readings"]:
        time.sleep(0.1)
    time.sleep(1.0)  # the port is gone by now; the loop must still be alive
    assert t.is_alive()
    stop.set()
    t.join(timeout=5)
    assert [r["value"] for r in srv.data()["readings"].values()] == ["1.00"]
