"""Results on the reference world: a spinach sample from 博乐市, its lead and cadmium tests
routed to the prefecture lab (sub-sample A) and received there, the bench balance BZ-BAL-01."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime

import pytest

from lims.extensions import db
from lims.instruments import services as instruments
from lims.instruments.agent import reading_payload
from lims.instruments.reading import Reading
from lims.results import services
from lims.users.roles import Role


@pytest.fixture
def database_url(seeded_url):
    return seeded_url


@pytest.fixture
def people(make_user):
    """The prefecture lab's staff (one person per role) and a county technician."""
    return {
        "receiver": make_user("li", roles=(Role.RECEIVER,), display_name="李接收"),
        "tech": make_user("wang", roles=(Role.TECHNICIAN,), display_name="王检验"),
        "tech2": make_user("ma", roles=(Role.TECHNICIAN,), display_name="马检验"),
        "reviewer": make_user("zhang", roles=(Role.REVIEWER,), display_name="张审核"),
        "signatory": make_user("zhao", roles=(Role.SIGNATORY,), display_name="赵批准"),
        # a senior who holds every bench role: the separation of duties must still hold
        "senior": make_user("sun", roles=(Role.TECHNICIAN, Role.REVIEWER, Role.SIGNATORY),
                            display_name="孙高级"),
        "county_tech": make_user("liu", org_code="BL-LAB", roles=(Role.TECHNICIAN,),
                                 display_name="刘检验"),
        "county_reviewer": make_user("yang", org_code="BL-LAB", roles=(Role.REVIEWER,),
                                     display_name="杨审核"),
    }


@pytest.fixture
def sample(people, network):
    """Registered at BZ-LAB, lead and cadmium routed to BZ-LAB, the rest to BL-LAB; the
    prefecture's sub-sample is received at its own lab. Returns that sub-sample."""
    from lims.samples import services as samples
    from lims.samples.receipt import ReceiptInput

    receiver = people["receiver"]
    parent = samples.register_sample(ReceiptInput(
        task_type="supervision", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", business_licence="JY16527010001234", business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", food_name="菠菜", subcategory="菠菜",
        business_name="博乐市农贸市场 12 号摊位", business_county="博乐市",
        sampled_on="2026-11-20", quantity="2", quantity_unit="kg", condition_ok="yes",
        condition_notes=""), receiver)
    db.session.commit()
    ours = {"铅", "镉"}
    assignments = {t.id: (network["BZ-LAB"] if t.test_item.analyte_key in ours
                          else network["BL-LAB"]).id for t in parent.active_tests}
    parts = samples.route_sample(parent, assignments, receiver)
    own = next(p for p in parts if p.assigned_org_id == network["BZ-LAB"].id)
    samples.receive_at_lab(own, receiver, condition="完好，冷藏")
    db.session.commit()
    return own


@pytest.fixture
def tests_of(sample):
    """{analyte key: SampleTest} of the received sub-sample."""
    return {t.test_item.analyte_key: t for t in sample.active_tests}


@pytest.fixture
def weigh(client, people):
    """Weigh on the simulated MT-SICS balance and deliver the reading as the bench agent
    does (POST /api/v1/instruments/BZ-BAL-01/readings); returns the stored reading id."""
    from lims.instruments.registry import get_driver
    from lims.instruments.simulators import make_simulator
    from lims.instruments.transport import InstrumentSession, Port
    from lims.users.services import issue_token

    token = issue_token(people["tech"], name="bench-agent").token
    db.session.commit()
    counter = iter(range(1, 1000))

    def do(grams: str) -> int:
        sim = make_simulator("mt-sics", f"stable {grams} g")
        url = sim.serve_pty()
        driver = get_driver("mt-sics")
        try:
            with InstrumentSession(driver, Port(url, driver.default_settings.with_(timeout=2.0))
                                   ) as session:
                serial = session.serial_number()
                reading = session.read("S", timeout=3)
        finally:
            sim.stop()
        body = reading_payload(reading, serial_number=serial)
        body["uid"] = f"bench-{next(counter):04d}-weigh"
        response = client.post("/api/v1/instruments/BZ-BAL-01/readings", json=body,
                               headers={"Authorization": f"Bearer {token}",
                                        "Idempotency-Key": body["uid"]})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["reading"]["id"]

    return do


@pytest.fixture
def stored_reading(people):
    """A balance reading stored directly through the service (for tests not about capture)."""
    counter = iter(range(1, 1000))

    def make(grams: str, *, stable: bool = True, code: str = "BZ-BAL-01") -> int:
        instrument = instruments.find_instrument(code)
        reading = Reading(value=grams, unit="g", stable=stable, status="stable" if stable
                          else "dynamic", raw=f"S {'S' if stable else 'D'} {grams:>10} g\r\n"
                          .encode(), driver=instrument.driver,
                          read_at=datetime.now(UTC) - dt.timedelta(seconds=3))
        body = reading_payload(reading, serial_number=instrument.serial_number)
        body["uid"] = f"svc-{next(counter):04d}-reading"
        stored, _ = instruments.record_reading(instrument, body, people["tech"])
        db.session.commit()
        return stored.id

    return make


LEAD = {"rho": "12.5", "rho0": "0.5", "V": "10", "m": "0.5000"}
CADMIUM = {"c1": "2.5", "c0": "0.1", "V": "25", "m": "0.5000"}


@pytest.fixture
def entered(people, tests_of):
    """Enter typed inputs for both tests as the technician; returns {key: TestResult}."""

    def enter(lead=None, cadmium=None):
        out = {}
        for key, inputs in (("铅", lead or LEAD), ("镉", cadmium or CADMIUM)):
            out[key] = services.enter_result(tests_of[key], people["tech"], inputs)
        services.commit()
        return out

    return enter


@pytest.fixture
def payload_for():
    """The bench agent's body for a balance reading answering capture request ``request_id``."""
    counter = iter(range(1, 1000))

    def build(grams: str, request_id: int | None = None) -> dict:
        reading = Reading(value=grams, unit="g", stable=True, status="stable",
                          raw=f"S S {grams:>10} g\r\n".encode(), driver="mt-sics",
                          read_at=datetime.now(UTC) - dt.timedelta(seconds=2))
        body = reading_payload(reading, serial_number="B123456789", request_id=request_id)
        body["uid"] = f"agent-{next(counter):04d}-capture"
        return body

    return build
