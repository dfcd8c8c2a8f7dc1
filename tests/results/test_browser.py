"""The bench in a real browser: the capture button asks the balance (through the bench agent's
capture request) and fills the weight; the technician saves and signs, the reviewer and the
signatory sign on their queues, each with their password again.

Uses the browser fixtures of tests/e2e (Debian's Chromium, the app on a local port)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa

from tests.e2e import conftest as e2e
from tests.e2e.steps import flash_errors, shot, wait_for_status

pytestmark = pytest.mark.browser

# the server fixtures of tests/e2e, used here by name
e2e_database, live_server, lab = e2e.e2e_database, e2e.live_server, e2e.lab


@pytest.fixture(scope="module")
def browser():
    """Chromium for this module only (overrides the session one of tests/e2e for ``lab``): a
    Playwright left running keeps its event loop, and asyncio.run() in later tests (the PDF
    signing of reports) would fail."""
    import os
    from pathlib import Path

    if not Path(e2e.CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{e2e.CHROMIUM} is missing")
        pytest.skip(f"{e2e.CHROMIUM} is missing: ./dev.sh setup installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=e2e.CHROMIUM,
                                              args=e2e.CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _received_sample(url: str, instance) -> tuple[str, str]:
    """A spinach sub-sample with lead and cadmium at BZ-LAB, received there; and a bench
    token of the demo technician (for the simulated agent)."""
    from lims import create_app
    from lims.extensions import db
    from lims.orgs.services import org_by_code
    from lims.samples import services as samples
    from lims.samples.receipt import ReceiptInput
    from lims.users.models import User
    from lims.users.services import issue_token
    from tests.conftest import _test_settings

    app = create_app(_test_settings(url, instance))
    with app.app_context():
        receiver = db.session.scalar(sa.select(User).where(User.username == "receiver"))
        parent = samples.register_sample(ReceiptInput(
            task_type="supervision", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", business_licence="JY16527010001234", business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", food_name="菠菜", subcategory="菠菜",
            business_name="博乐市农贸市场 3 号摊位", business_county="博乐市",
            sampled_on="2026-11-21", quantity="2", quantity_unit="kg", condition_ok="yes",
            condition_notes=""), receiver)
        bz, bl = org_by_code("BZ-LAB"), org_by_code("BL-LAB")
        parts = samples.route_sample(parent, {
            t.id: (bz if t.test_item.analyte_key in ("铅", "镉") else bl).id
            for t in parent.active_tests}, receiver)
        own = next(p for p in parts if p.assigned_org_id == bz.id)
        samples.receive_at_lab(own, receiver, condition="完好")
        tech = db.session.scalar(sa.select(User).where(User.username == "tech"))
        token = issue_token(tech, name="bench-agent").token
        db.session.commit()
        number = own.number
        db.session.remove()
        db.engine.dispose()
    return number, token


def _agent(base_url: str, token: str, grams: str, stop: threading.Event) -> None:
    """The bench agent's part: answer the first capture request with a balance reading."""
    from lims.instruments.agent import reading_payload
    from lims.instruments.reading import Reading

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        while not stop.is_set():
            pending = client.get("/api/v1/instruments/BZ-BAL-01/capture-requests").json()
            if pending["requests"]:
                request_id = pending["requests"][0]["id"]
                reading = Reading(value=grams, unit="g", stable=True, status="stable",
                                  raw=f"S S {grams:>10} g\r\n".encode(), driver="mt-sics",
                                  read_at=datetime.now(UTC) - dt.timedelta(seconds=1))
                body = reading_payload(reading, serial_number="B123456789",
                                       request_id=request_id)
                body["uid"] = f"browser-agent-{request_id:06d}"
                client.post("/api/v1/instruments/BZ-BAL-01/readings", json=body)
                return
            time.sleep(0.3)


def test_capture_enter_and_three_signatures_in_the_browser(lab, e2e_database, live_server,
                                                          tmp_path):
    number, token = _received_sample(e2e_database, tmp_path)
    tech = lab.person("tech")
    tech.goto("/results/")
    for row in tech.locator("tbody tr").all():
        if number in row.inner_text():
            row.locator("input[name=test]").check()
    tech.fill("input[name=title]", "重金属 浏览器批")
    tech.click("form[action$='/results/worksheets'] button[type=submit]")
    tech.wait_for_url("**/results/worksheets/WS-*")
    lead = tech.locator("section.card", has_text="铅")
    lead.locator("input[name=in_rho]").fill("12.5")
    lead.locator("input[name=in_rho0]").fill("0.5")
    lead.locator("input[name=in_V]").fill("10")
    stop = threading.Event()
    agent = threading.Thread(target=_agent, args=(live_server, token, "0.5012", stop))
    agent.start()
    try:
        lead.locator("button.capture").click()
        lead.locator("input[name=in_m]").wait_for(state="visible")
        tech.wait_for_function(
            "() => document.querySelector('section.card input[name=in_m]').value === '0.5012'")
    finally:
        stop.set()
        agent.join(timeout=10)
    assert lead.locator("input[name=reading_m]").input_value() != ""
    tech.wait_for_selector("section.card .preview.verdict-pass")
    shot(tech, "results-01-weight-captured")
    with tech.expect_navigation():
        lead.locator("form.entry button[type=submit]").click()
    assert not flash_errors(tech), flash_errors(tech)
    lead = tech.locator("section.card", has_text="铅")
    history = lead.locator("h2 a.small").get_attribute("href")
    assert lead.locator("[data-verdict=pass]").count() == 1
    assert "0.24" in lead.inner_text()
    cadmium = tech.locator("section.card", has_text="镉")
    for name, value in (("c1", "2.5"), ("c0", "0.1"), ("V", "25"), ("m", "0.5000")):
        cadmium.locator(f"input[name=in_{name}]").fill(value)
    with tech.expect_navigation():
        cadmium.locator("form.entry button[type=submit]").click()
    for item in ("铅", "镉"):
        card = tech.locator("section.card", has_text=item)
        card.locator("form[data-sign=submitted] input[name=password]").fill("Demo-lims-2026")
        with tech.expect_navigation():
            card.locator("form[data-sign=submitted] button").click()
        assert not flash_errors(tech), flash_errors(tech)
    shot(tech, "results-02-submitted")

    for username, path, meaning in (("reviewer", "/results/review", "reviewed"),
                                    ("signatory", "/results/approval", "approved")):
        page = lab.person(username)
        for turn in range(2):
            page.goto(path)
            if turn == 0:
                shot(page, f"results-03-{meaning}-queue")
            form = page.locator("tr", has_text=number).locator(
                f"form[data-sign={meaning}]").first
            form.locator("input[name=password]").fill("Demo-lims-2026")
            with page.expect_navigation():
                form.locator("button").click()
            assert not flash_errors(page), flash_errors(page)
    # approved, and the report issued (the e2e server has the lab's signing key; with Redis
    # configured a job worker issues it a moment later)
    assert wait_for_status(page, number, "reported") == "reported"
    page.goto(history)
    text = page.locator("main").inner_text()
    # the three signers, and the weight with the balance's raw frame (whitespace collapsed)
    for name in ("王检验", "张审核", "赵批准", "BZ-BAL-01", "S S 0.5012 g\\r\\n"):
        assert name in text, name
    shot(page, "results-04-history-and-signatures")
