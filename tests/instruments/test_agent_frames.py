"""No pushed reading is lost around a command exchange, and readings leave the agent in the
order they were taken (the two faults of the instrument layer seen from outside)."""

from __future__ import annotations

import json
import random
import select
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from lims.instruments.agent import DELIVERED, Agent, SendResult
from lims.instruments.agent_queue import ReadingQueue
from lims.instruments.reading import Reading
from lims.instruments.registry import get_driver
from lims.instruments.transport import InstrumentSession, Port
from tests.instruments.test_agent import Clock, FakeServer, make_agent


@pytest.fixture
def stub_server(tmp_path):
    """``stub_server(*args)``: the throw-away readings API of the agent tests, not started."""
    servers: list[FakeServer] = []

    def make(*extra: str) -> FakeServer:
        servers.append(FakeServer(tmp_path, *extra))
        return servers[-1]

    yield make
    for srv in servers:
        srv.stop()


def queued(agent: Agent) -> list[tuple[str, int | None]]:
    rows = agent.queue._db.execute("SELECT payload FROM readings ORDER BY created_at, rowid")
    return [(p["value"], p["request_id"]) for p in (json.loads(r[0]) for r in rows)]


def test_print_frames_pushed_around_a_capture_request_are_all_queued(tmp_path, stub_server,
                                                                        sim_session):
    """The reproduction: PRINT 1.11 g and 2.22 g are pushed together, a capture request is
    answered, then 9.99 g is pushed. Before, 2.22 g was thrown away with the stale input."""
    srv = stub_server("--request", "12:S")
    srv.start()
    _, session = sim_session("mt-sics",
                             "sleep 0.2; print 1.11 g; print 2.22 g; stable 100.00 g; sleep 0.3; "
                             "print 9.99 g")
    agent = make_agent(tmp_path, srv.url, session=session)
    time.sleep(0.5)  # both PRINT lines are in the port's buffer before the agent looks
    until = time.monotonic() + 1.5  # 9.99 g comes 0.3 s after the reply
    while time.monotonic() < until:
        agent.run_once()
    assert sorted(queued(agent), key=lambda v: v[0]) == [
        ("1.11", None), ("100.00", 12), ("2.22", None), ("9.99", None)]
    assert sorted(r["value"] for r in srv.data()["readings"].values()) == [
        "1.11", "100.00", "2.22", "9.99"]


def test_frames_buffered_when_a_command_is_sent_are_handed_over(tmp_path, stub_server, sim_session):
    """The capture request is handled before any listening: the two PRINT lines already
    waiting in the buffer are queued as pushed readings, the reply answers the request."""
    srv = stub_server("--request", "7:S")
    srv.start()
    _, session = sim_session("mt-sics", "sleep 0.2; print 3.33 g; print 4.44 g; stable 50.00 g")
    agent = make_agent(tmp_path, srv.url, session=session)
    time.sleep(0.5)
    agent.handle_requests()
    assert queued(agent) == [("3.33", None), ("4.44", None), ("50.00", 7)]


class StreamingBalance:
    """An MT-SICS balance on a TCP port: answers ``S`` with 100.00 g after a random delay and
    pushes PRINT lines at random moments, some just before or after a reply."""

    def __init__(self, pushes: list[str], seed: int) -> None:
        self.rng = random.Random(seed)
        self.pushes = list(pushes)
        self.sent_pushes: list[str] = []
        self.replies = 0
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self.url = f"socket://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _frame(self, value: str) -> bytes:
        return f"S S {value:>10} g\r\n".encode("ascii")

    def _push(self, conn: socket.socket) -> None:
        value = self.pushes.pop(0)
        frame = self._frame(value)
        cut = self.rng.randint(0, len(frame))  # sometimes in two pieces, as a UART does
        conn.sendall(frame[:cut])
        if cut < len(frame):
            time.sleep(self.rng.uniform(0, 0.02))
            conn.sendall(frame[cut:])
        self.sent_pushes.append(value)

    def _run(self) -> None:
        conn, _ = self._listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        inbuf = b""
        next_push = time.monotonic() + self.rng.uniform(0, 0.15)
        while not self._stop.is_set():
            ready, _, _ = select.select([conn], [], [], 0.005)
            if ready:
                data = conn.recv(4096)
                if not data:
                    break
                inbuf += data
                while b"\r\n" in inbuf:
                    command, inbuf = inbuf.split(b"\r\n", 1)
                    if command.strip() != b"S":
                        continue
                    time.sleep(self.rng.uniform(0, 0.03))
                    if self.pushes and self.rng.random() < 0.3:
                        self._push(conn)  # a PRINT line right before the reply
                    conn.sendall(self._frame("100.00"))
                    self.replies += 1
                    if self.pushes and self.rng.random() < 0.3:
                        self._push(conn)  # and one right after it
            if self.pushes and time.monotonic() >= next_push:
                self._push(conn)
                next_push = time.monotonic() + self.rng.uniform(0, 0.15)
        conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()


class RequestingClient:
    """Stands in for the server: a new capture request every cycle; every post accepted."""

    def __init__(self) -> None:
        self.next_id = 1
        self.posted: list[dict] = []

    def capture_requests(self) -> list[dict]:
        request = {"id": self.next_id, "command": "S"}
        self.next_id += 1
        return [request]

    def post_reading(self, payload: dict) -> SendResult:
        self.posted.append(payload)
        return SendResult(DELIVERED, 201)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_pushed_frame_is_queued_exactly_once(tmp_path, seed):
    pushes = [f"{n}.{n:02d}" for n in range(1, 21)]
    balance = StreamingBalance(pushes, seed)
    driver = get_driver("mt-sics")
    port = Port(balance.url, driver.default_settings.with_(timeout=1.0))
    session = InstrumentSession(driver, port)
    session.port.open()
    client = RequestingClient()
    agent = Agent(session, client, ReadingQueue(tmp_path / "q.db"), poll_interval=0.05,
                  clock=Clock())
    try:
        deadline = time.monotonic() + 20
        while (balance.pushes or len(balance.sent_pushes) < len(pushes)) \
                and time.monotonic() < deadline:
            agent.run_once()
        for _ in range(5):  # let the last lines arrive and be taken
            agent.run_once()
    finally:
        balance.stop()
        session.close()
    values = [v for v, _ in queued(agent)]
    assert balance.sent_pushes == pushes
    for value in pushes:
        assert values.count(value) == 1, (value, values)
    # every reply is queued too: one answers each request, none is dropped
    assert values.count("100.00") == balance.replies
    answered = [rid for _, rid in queued(agent) if rid is not None]
    assert len(answered) == len(set(answered)) == balance.replies
    assert [p["value"] for p in client.posted] == values  # delivered in the order taken


def _reading(value: str, at: datetime) -> Reading:
    return Reading(value=value, unit="g", stable=True, status="stable",
                   raw=f"S S {value:>10} g\r\n".encode(), driver="mt-sics", read_at=at)


def test_readings_reach_the_server_in_the_order_they_were_taken(tmp_path, stub_server):
    """After an outage the server received 20.02, 30.03, 10.01: each queued reading backed
    off on its own clock. Now the queue has one backoff and keeps its order."""
    srv = stub_server()
    agent = make_agent(tmp_path, srv.url)
    t0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    agent.capture(_reading("10.01", t0))
    assert agent.flush()["retry"] == 1  # server down: 10.01 backs off 2 s
    agent.clock.t += 1
    agent.capture(_reading("20.02", t0 + timedelta(seconds=1)))
    assert agent.flush() == {"delivered": 0, "rejected": 0, "retry": 0, "hold": 0}
    agent.clock.t += 2
    assert agent.flush()["retry"] == 1  # 10.01 again, still down: now 4 s
    agent.clock.t += 1
    agent.capture(_reading("30.03", t0 + timedelta(seconds=4)))
    srv.start()
    agent.flush()  # within the backoff: nothing leaves, not even the newest
    assert srv.data()["readings"] == {}
    agent.clock.t += 10
    agent.flush()
    assert [r["value"] for r in srv.data()["readings"].values()] == ["10.01", "20.02", "30.03"]


def test_queue_backoff_belongs_to_the_queue(tmp_path):
    with ReadingQueue(tmp_path / "q.db") as q:
        first = q.add({"value": "1"}, now=100.0)
        q.mark_failed(first, "down", now=100.0)  # next attempt at 102
        q.add({"value": "2"}, now=101.0)
        assert q.due(now=101.0) == []  # the newer reading does not overtake
        assert [i.payload["value"] for i in q.due(now=102.0)] == ["1", "2"]
