"""The bench agent at a station: a pesticide reader's results become station results, queued
while the network is down and delivered exactly once (the server is the Flask app, in process)."""

from __future__ import annotations

import time

import httpx
import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.instruments.agent import Agent, StationUploader
from lims.instruments.agent_queue import ReadingQueue
from lims.instruments.registry import get_driver
from lims.instruments.simulators import make_simulator
from lims.instruments.transport import InstrumentSession, Port
from lims.stations.models import ConfirmationTask, StationResult


class Clock:
    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def reader():
    opened = []

    def make(driver: str, script: str) -> InstrumentSession:
        sim = make_simulator(driver, script)
        url = sim.serve_tcp()
        drv = get_driver(driver)
        session = InstrumentSession(drv, Port(url, drv.default_settings.with_(timeout=1.0)))
        opened.append((sim, session))
        return session

    yield make
    for sim, session in opened:
        session.close()
        sim.stop()


def _down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("network unreachable", request=request)


def test_reader_results_reach_the_station_exactly_once_across_an_outage(
        app, tmp_path, reader, bl_operator, token_for, count):
    sheet = tmp_path / "samples.csv"
    sheet.write_text("sample_id,stall,vendor,food_name,food_category\n"
                     "S-001,A-12,王记蔬菜,菠菜,蔬菜\nS-002,A-15,,韭菜,蔬菜\n", encoding="utf-8")
    token = token_for(bl_operator)["Authorization"].split()[1]
    uploader = StationUploader("http://lims.test", token, "BL-M01", operator="孙快检",
                               sample_sheet=sheet, kit_lot="K20261101",
                               transport=httpx.WSGITransport(app=app))
    session = reader("pesticide-reader", "sleep 0.3; pesticide 1 S-001 0.312 0.290; "
                     "pesticide 2 S-002 0.312 0.105; pesticide 3 S-003 0.300 0.280")
    agent = Agent(session, uploader, ReadingQueue(tmp_path / "queue.db"), poll_interval=0.1,
                  clock=Clock())
    first = agent.listen_once(3.0)
    assert agent.flush()["delivered"] == 1

    # the station's uplink drops; the reader keeps testing
    online = uploader._http
    uploader._http = httpx.Client(transport=httpx.MockTransport(_down))
    second, third = agent.listen_once(3.0), agent.listen_once(3.0)
    assert agent.flush()["retry"] == 1
    assert agent.queue.counts()["pending"] == 2 and count(StationResult) == 1

    uploader._http = online
    agent.clock.t += 10
    done = agent.flush()
    # S-003 is not on the sample sheet yet: it waits in the queue, nothing is lost
    assert done["delivered"] == 1 and agent.queue.get(third).state == "pending"
    sheet.write_text(sheet.read_text("utf-8") + "S-003,A-2,,芹菜,蔬菜\n", encoding="utf-8")
    agent.clock.t += 1000
    assert agent.flush()["delivered"] == 1

    # a resend of a delivered reading (its reply was lost) stores nothing new
    assert uploader.post_reading(agent.queue.get(second).payload).outcome == "delivered"
    stored = db.session.scalars(sa.select(StationResult).order_by(StationResult.id)).all()
    assert [r.uid for r in stored] == [first, second, third]
    assert [(r.stall, r.food_name, format(r.inhibition_pct, "f"), r.server_verdict.value)
            for r in stored] == [("A-12", "菠菜", "7.1", "negative"),
                                 ("A-15", "韭菜", "66.3", "positive"),
                                 ("A-2", "芹菜", "6.7", "negative")]
    assert stored[1].raw_line.startswith("$PR,2,S-002") and stored[1].kit_lot == "K20261101"
    assert count(ConfirmationTask) == 1
    agent.queue.close()
    uploader.close()


def test_gold_reader_results_carry_the_kit_cutoff(app, tmp_path, reader, jh_operator,
                                                  token_for):
    sheet = tmp_path / "samples.csv"
    sheet.write_text("sample_id,stall,vendor,food_name,food_category,test_item\n"
                     "S-011,A-1,,猪肉,畜禽肉,克伦特罗\n", encoding="utf-8")
    token = token_for(jh_operator)["Authorization"].split()[1]
    uploader = StationUploader("http://lims.test", token, "JH-M01", operator="郑快检",
                               sample_sheet=sheet, transport=httpx.WSGITransport(app=app))
    session = reader("gold-reader", "sleep 0.3; gold 1 S-011 clenbuterol 412.0 1030.5 0.80 COMP")
    agent = Agent(session, uploader, ReadingQueue(tmp_path / "q.db"), poll_interval=0.1,
                  clock=Clock())
    uid = agent.listen_once(3.0)
    assert agent.flush()["delivered"] == 1
    stored = db.session.scalar(sa.select(StationResult).where(StationResult.uid == uid))
    assert (format(stored.tc_ratio, "f"), format(stored.tc_cutoff, "f"), stored.assay) == \
        ("0.40", "0.80", "COMP")
    assert stored.server_verdict.value == "positive" and not stored.disagreement
    # another station's market is refused for good, not retried
    uploader.market = "BL-M01"
    session2 = reader("gold-reader", "sleep 0.3; gold 2 S-011 clenbuterol 900.0 1000.0 0.80 COMP")
    agent.session = session2
    refused = agent.listen_once(3.0)
    assert agent.flush()["rejected"] == 1
    assert "market" in agent.queue.get(refused).last_error
    agent.queue.close()
    uploader.close()
