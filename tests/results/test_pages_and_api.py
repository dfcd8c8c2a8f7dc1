"""The bench through the pages and the API: worksheet, entry, stale save, signatures, scoping."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.results import services
from lims.results.models import ResultSignature, ResultStatus, TestResult, Worksheet
from lims.samples.lifecycle import SampleStatus
from lims.users.roles import Role
from tests.conftest import PASSWORD, bearer

from .conftest import CADMIUM, LEAD


def _form(data: dict, **inputs) -> dict:
    return {**data, **{f"in_{k}": v for k, v in inputs.items()}}


def _fresh(result_id: int) -> TestResult:
    db.session.expire_all()
    return db.session.get(TestResult, result_id)


def _worksheet_through_pages(client, login, csrf_from, tests_of) -> Worksheet:
    login("wang")
    page = client.get("/results/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "铅" in html and "镉" in html
    response = client.post("/results/worksheets", data={
        "csrf_token": csrf_from(html), "title": "重金属 第 1 批",
        "test": [str(t.id) for t in tests_of.values()]})
    assert response.status_code == 302
    return db.session.scalar(sa.select(Worksheet))


def test_technician_enters_on_the_worksheet_page(client, login, csrf_from, people, tests_of,
                                                 stored_reading):
    sheet = _worksheet_through_pages(client, login, csrf_from, tests_of)
    page = client.get(f"/results/worksheets/{sheet.number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "BZ-BAL-01" in html and 'class="capture"' in html
    lead = next(r for r in sheet.results if r.sample_test_id == tests_of["铅"].id)
    reading_id = stored_reading("0.5000")
    data = {"csrf_token": csrf_from(html), "version": lead.version,
            "reading_m": str(reading_id)}
    preview = client.post(f"/results/{lead.id}/preview",
                          data=_form(data, rho="20.5", rho0="0.5", V="10", m=""))
    assert preview.status_code == 200 and preview.json["verdict"] == "fail"
    assert preview.json["reported_value"] == "0.40" and _fresh(lead.id).value is None
    failing = client.post(f"/results/{lead.id}/save",
                          data=_form(data, rho="20.5", rho0="0.5", V="10", m=""))
    assert failing.status_code == 302
    html = client.get(f"/results/worksheets/{sheet.number}").get_data(as_text=True)
    assert html.count('data-flag="fail"') == 1 and 'data-verdict="fail"' in html
    data["version"] = _fresh(lead.id).version
    data["reason"] = "吸光度读错行"
    saved = client.post(f"/results/{lead.id}/save",
                        data=_form(data, rho="12.5", rho0="0.5", V="10", m=""))
    assert saved.status_code == 302
    lead = _fresh(lead.id)
    assert lead.reported_value == "0.24" and lead.reading_id == reading_id
    html = client.get(f"/results/worksheets/{sheet.number}").get_data(as_text=True)
    assert 'data-verdict="pass"' in html and "≤0.3" in html


def test_page_refuses_a_change_without_reason_and_a_stale_version(client, login, csrf_from,
                                                                  people, tests_of, entered):
    lead = entered()["铅"]
    login("wang")
    token = csrf_from(client.get(f"/results/{lead.id}").get_data(as_text=True))
    seen = lead.version
    no_reason = client.post(f"/results/{lead.id}/save",
                            data=_form({"csrf_token": token, "version": seen}, **{
                                **LEAD, "rho": "13.5"}))
    assert no_reason.status_code == 422
    assert "必须填写原因" in no_reason.get_data(as_text=True)
    services.enter_result(tests_of["铅"], people["tech2"], {**LEAD, "V": "20"},
                          expected_version=seen, reason="定容 20 mL")
    services.commit()
    stale = client.post(f"/results/{lead.id}/save", data=_form(
        {"csrf_token": token, "version": seen, "reason": "重测"}, **{**LEAD, "rho": "13.5"}))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "已被他人修改" in html and "0.48" in html
    assert _fresh(lead.id).reported_value == "0.48"


def test_three_people_sign_through_the_pages(client, login, csrf_from, people, sample, entered):
    results = entered()
    for result in results.values():
        login("wang")
        page = client.get(f"/results/{result.id}")
        assert 'data-sign="submitted"' in page.get_data(as_text=True)
        client.post(f"/results/{result.id}/sign", data={
            "csrf_token": csrf_from(page.get_data(as_text=True)), "meaning": "submitted",
            "password": PASSWORD, "version": result.version})
    login("zhang")
    queue = client.get("/results/review")
    html = queue.get_data(as_text=True)
    assert queue.status_code == 200 and html.count('data-sign="reviewed"') == 2
    token = csrf_from(html)
    lead = results["铅"]
    wrong = client.post(f"/results/{lead.id}/sign", data={
        "csrf_token": token, "meaning": "reviewed", "password": "wrong-password",
        "version": _fresh(lead.id).version})
    assert wrong.status_code == 403 and "密码错误" in wrong.get_data(as_text=True)
    assert _fresh(lead.id).status == ResultStatus.SUBMITTED
    for result in results.values():
        response = client.post(f"/results/{result.id}/sign", data={
            "csrf_token": token, "meaning": "reviewed", "password": PASSWORD,
            "version": _fresh(result.id).version, "next": "/results/review"})
        assert response.status_code == 302 and response.headers["Location"] == "/results/review"
    login("zhao")
    html = client.get("/results/approval").get_data(as_text=True)
    token = csrf_from(html)
    for result in results.values():
        client.post(f"/results/{result.id}/sign", data={
            "csrf_token": token, "meaning": "approved", "password": PASSWORD,
            "version": _fresh(result.id).version})
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(sa.select(TestResult))} == {
        ResultStatus.APPROVED}
    assert sample.status == SampleStatus.APPROVED
    history = client.get(f"/results/{lead.id}").get_data(as_text=True)
    for name in ("王检验", "张审核", "赵批准"):
        assert name in history
    # the sample page lists the results with their verdicts
    sample_page = client.get(f"/samples/{sample.number}").get_data(as_text=True)
    assert 'id="results"' in sample_page
    panel = sample_page.split('id="results"', 1)[1].split("</section>", 1)[0]
    assert panel.count('class="status status-approved"') == len(results)


def test_pages_of_another_lab_are_not_found_and_roles_are_checked(client, login, csrf_from,
                                                                  people, entered):
    lead = entered()["铅"]
    sheet = services.create_worksheet(people["tech"], [lead.sample_test_id])
    services.commit()
    login("liu")  # a county technician
    assert client.get(f"/results/worksheets/{sheet.number}").status_code == 404
    assert client.get("/results/review").status_code == 403
    token = csrf_from(client.get("/preferences").get_data(as_text=True))
    response = client.post(f"/results/{lead.id}/save", data=_form(
        {"csrf_token": token, "version": lead.version}, **LEAD))
    assert response.status_code == 404
    assert client.post(f"/results/{lead.id}/sign", data={
        "csrf_token": token, "meaning": "submitted", "password": PASSWORD}).status_code == 404
    login("zhang")  # a reviewer may not enter results
    assert client.get("/results/").status_code == 403
    token = csrf_from(client.get("/results/review").get_data(as_text=True))
    refused = client.post(f"/results/{lead.id}/sign", data={
        "csrf_token": token, "meaning": "submitted", "password": PASSWORD})
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(ResultSignature.id))) == 0


def test_api_entry_with_a_captured_weight_then_three_signatures(client, people, sample,
                                                                tests_of, weigh, make_user):
    tech = bearer(people["tech"])
    assigned = client.get("/api/v1/results/assigned", headers=tech)
    assert assigned.status_code == 200
    by_item = {t["item"]: t for t in assigned.json["tests"]}
    lead_test = by_item["铅(以Pb计)"]
    assert lead_test["method"]["code"] == "GB5009.12-2023-GFAAS"
    assert {"name": "m", "label": "试样称样量或移取体积", "unit": "g", "source": "balance",
            "required": True} in lead_test["method"]["inputs"]
    reading_id = weigh("0.5012")
    url = f"/api/v1/results/tests/{lead_test['test_id']}"
    created = client.post(url, headers=tech, json={"inputs": {
        "rho": "12.5", "rho0": 0.5, "V": 10, "m": {"reading_id": reading_id}}})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["reported_value"] == "0.24" and body["verdict"] == "pass"
    assert body["inputs"]["m"] == {"value": "0.5012", "unit": "g", "reading_id": reading_id}
    bad = client.post(url, headers=tech, json={"inputs": {**LEAD, "V": "abc"},
                                               "version": body["version"], "reason": "x"})
    assert bad.status_code == 422 and "V" in bad.json["details"]
    stale = client.post(url, headers=tech, json={"inputs": LEAD, "version": 99, "reason": "x"})
    assert stale.status_code == 409 and stale.json["details"]["current"]["reported_value"] == \
        "0.24"
    cadmium = client.post(f"/api/v1/results/tests/{by_item['镉(以Cd计)']['test_id']}",
                          headers=tech, json={"inputs": CADMIUM})
    assert cadmium.status_code == 201
    for result in (body, cadmium.json):
        signed = client.post(f"/api/v1/results/{result['id']}/sign", headers=tech,
                             json={"meaning": "submitted", "password": PASSWORD})
        assert signed.status_code == 201, signed.json
    reviewer = bearer(people["reviewer"])
    wrong = client.post(f"/api/v1/results/{body['id']}/sign", headers=reviewer,
                        json={"meaning": "reviewed", "password": "nope"})
    assert wrong.status_code == 403 and "密码错误" in wrong.json["error"]
    sent = client.post(f"/api/v1/results/{body['id']}/send-back", headers=reviewer,
                       json={"reason": "称样量偏离方法规定"})
    assert sent.status_code == 200 and sent.json["status"] == "draft"
    assert all(not s["valid"] for s in sent.json["signatures"])
    county = bearer(people["county_reviewer"])
    assert client.post(f"/api/v1/results/{cadmium.json['id']}/sign", headers=county,
                       json={"meaning": "reviewed", "password": PASSWORD}).status_code == 404
    # reading follows the sample's visibility: the county of the business sees it, others not
    assert client.get(f"/api/v1/results/{cadmium.json['id']}", headers=county).status_code == \
        200
    jinghe = bearer(make_user("wu", org_code="JH-LAB", roles=(Role.TECHNICIAN,)))
    assert client.get(f"/api/v1/results/{cadmium.json['id']}", headers=jinghe).status_code == \
        404
    signatory = bearer(people["signatory"])
    missing_role = client.post(f"/api/v1/results/{cadmium.json['id']}/sign", headers=signatory,
                               json={"meaning": "reviewed", "password": PASSWORD})
    assert missing_role.status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/results/assigned"])
def test_api_needs_the_bench_role(client, people, path):
    assert client.get(path, headers=bearer(people["reviewer"])).status_code == 403
    assert client.get(path).status_code == 401


def test_nav_shows_the_bench_and_the_queues(client, login, people):
    login("wang")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'href="/results/"', html) and "/results/review" not in html
    login("zhao")
    html = client.get("/").get_data(as_text=True)
    assert "/results/approval" in html and 'href="/results/"' not in html


def test_capture_button_round_trip(client, login, csrf_from, people, tests_of, payload_for):
    """What the page's script does: ask for a capture with the page's CSRF token, the bench
    agent answers the request, the poll returns the reading, the save links it."""
    sheet = _worksheet_through_pages(client, login, csrf_from, tests_of)
    html = client.get(f"/results/worksheets/{sheet.number}").get_data(as_text=True)
    token = csrf_from(html)
    asked = client.post("/instruments/BZ-BAL-01/capture", json={},
                        headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert asked.status_code == 201, asked.get_json()
    agent = bearer(people["tech"])
    pending = client.get("/api/v1/instruments/BZ-BAL-01/capture-requests", headers=agent)
    request_id = pending.json["requests"][0]["id"]
    delivered = client.post("/api/v1/instruments/BZ-BAL-01/readings", headers=agent,
                            json=payload_for("0.4987", request_id))
    assert delivered.status_code == 201
    polled = client.get(asked.json["poll"]).json
    assert polled["reading"]["value"] == "0.4987" and polled["request"]["state"] == "fulfilled"
    lead = next(r for r in sheet.results if r.sample_test_id == tests_of["铅"].id)
    saved = client.post(f"/results/{lead.id}/save", data=_form(
        {"csrf_token": token, "version": lead.version,
         "reading_m": str(polled["reading"]["id"])}, rho="12.5", rho0="0.5", V="10",
        m=polled["reading"]["value"]))
    assert saved.status_code == 302
    lead = _fresh(lead.id)
    assert lead.reading_id == polled["reading"]["id"]
    assert lead.reading.request_id == request_id
