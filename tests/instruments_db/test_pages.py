"""Instrument pages: list badges, detail, register/certify forms, the capture endpoint pair."""

from __future__ import annotations

import pytest

from lims.extensions import db
from lims.instruments import services
from lims.instruments.models import CalibrationCertificate, CaptureRequest, Instrument
from lims.users.roles import Role

JSON = {"Accept": "application/json"}


@pytest.fixture
def manager(make_user):
    return make_user("zhao", org_code="BZ-LAB", roles=(Role.SIGNATORY,))


def csrf(client, csrf_from, url="/instruments/"):
    return csrf_from(client.get(url).get_data(as_text=True))


def test_list_shows_calibration_badges(client, login, tech, make_instrument):
    make_instrument("BZ-BAL-01", cert=(-10, 200))
    make_instrument("BZ-BAL-02", cert=(-300, 10))
    make_instrument("BZ-BAL-03", cert=(-400, -1))
    make_instrument("BL-BAL-01", "BL-LAB")
    login("wang")
    html = client.get("/instruments/", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)
    assert 'data-status="valid"' in html and 'data-status="expiring"' in html
    assert 'data-status="expired"' in html
    assert "BL-BAL-01" in html  # the prefecture lab sees every county's instruments


def test_county_user_does_not_see_other_counties(client, login, make_user, make_instrument):
    make_instrument("BZ-BAL-01")
    make_instrument("BL-BAL-01", "BL-LAB")
    make_user("liu", org_code="BL-LAB")
    make_user("wu", org_code="JH-LAB")
    login("wu")
    assert "BL-BAL-01" not in client.get("/instruments/").get_data(as_text=True)
    assert client.get("/instruments/BL-BAL-01").status_code == 404
    assert client.get("/instruments/BZ-BAL-01").status_code == 404


def test_detail_shows_certificates_readings_and_raw_frame(client, login, tech, make_instrument,
                                                          payload, make_user):
    inst = make_instrument()
    services.record_reading(inst, payload("88.10"), tech)
    db.session.commit()
    make_user("reviewer", roles=(Role.REVIEWER,))
    login("reviewer")
    html = client.get("/instruments/BZ-BAL-01").get_data(as_text=True)
    assert "JZ-BZ-BAL-01" in html and "88.10" in html
    assert f"S S {'88.10':>10} g\\r\\n" in html
    assert f"/audit/instrument/{inst.id}" in html


def test_capture_refused_for_expired_instrument(client, login, tech, make_instrument, csrf_from,
                                                count):
    make_instrument("BZ-BAL-02", cert=(-400, -3))
    login("wang")
    page = client.get("/instruments/BZ-BAL-02").get_data(as_text=True)
    assert "过期" in page and "disabled" in page
    token = csrf_from(page)
    resp = client.post("/instruments/BZ-BAL-02/capture", data={"csrf_token": token},
                       headers=JSON)
    assert resp.status_code == 422
    assert "过期" in resp.get_json()["error"] and "BZ-BAL-02" in resp.get_json()["error"]
    html = client.post("/instruments/BZ-BAL-02/capture", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "flash-error" in html and "已于" in html
    assert count(CaptureRequest) == 0


def test_capture_and_latest_json(client, login, tech, make_instrument, csrf_from, payload):
    inst = make_instrument()
    login("wang")
    token = csrf_from(client.get("/instruments/BZ-BAL-01").get_data(as_text=True))
    resp = client.post("/instruments/BZ-BAL-01/capture", data={"csrf_token": token},
                       headers=JSON)
    assert resp.status_code == 201
    request_id = resp.get_json()["request_id"]
    poll = resp.get_json()["poll"]
    waiting = client.get(poll).get_json()
    assert waiting["reading"] is None and waiting["request"]["state"] == "pending"
    services.record_reading(inst, payload("12.34", request_id=request_id), tech)
    db.session.commit()
    done = client.get(poll).get_json()
    assert done["reading"]["value"] == "12.34" and done["reading"]["request_id"] == request_id
    assert done["request"]["state"] == "fulfilled"


def test_capture_needs_csrf_and_bench_role(client, login, make_user, make_instrument, count):
    make_instrument()
    make_user("li", roles=(Role.RECEIVER,))
    login("li")
    assert client.post("/instruments/BZ-BAL-01/capture", headers=JSON).status_code == 400
    assert count(CaptureRequest) == 0


def test_receiver_cannot_capture(client, login, make_user, make_instrument, csrf_from, count):
    make_instrument()
    make_user("li", roles=(Role.RECEIVER,))
    login("li")
    page = client.get("/instruments/BZ-BAL-01").get_data(as_text=True)
    assert "Capture a reading" not in page and "采集读数" not in page
    token = csrf_from(page)  # the sign-out form's token
    resp = client.post("/instruments/BZ-BAL-01/capture", data={"csrf_token": token},
                       headers=JSON)
    assert resp.status_code == 403 and count(CaptureRequest) == 0
    assert client.get("/instruments/BZ-BAL-01/latest.json").status_code == 403


def test_register_and_certify_through_the_pages(client, login, manager, csrf_from, count):
    login("zhao")
    token = csrf_from(client.get("/instruments/new").get_data(as_text=True))
    bad = client.post("/instruments/new", data={
        "csrf_token": token, "code": "BZ-BAL-07", "name": "天平", "kind": "balance",
        "driver": "mt-sics", "org": "BZ-LAB", "port_settings": '{"baudrate": "fast"}'})
    assert bad.status_code == 422 and "端口设置" in bad.get_data(as_text=True)
    assert count(Instrument) == 0
    ok = client.post("/instruments/new", data={
        "csrf_token": token, "code": "BZ-BAL-07", "name": "天平", "kind": "balance",
        "driver": "mt-sics", "org": "BZ-LAB", "serial_number": "B123456789",
        "bench": "3", "port_settings": '{"baudrate": 9600}'})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(
        "/instruments/BZ-BAL-07/certificates/new")
    cert_url = "/instruments/BZ-BAL-07/certificates/new"
    bad = client.post(cert_url, data={"csrf_token": token, "number": "C-1",
                                      "kind": "calibration", "issued_by": "州计量所",
                                      "valid_from": "2026-05-01", "valid_until": "2026-01-01"})
    assert bad.status_code == 422 and "早于" in bad.get_data(as_text=True)
    assert count(CalibrationCertificate) == 0
    ok = client.post(cert_url, data={"csrf_token": token, "number": "C-1",
                                     "kind": "verification", "issued_by": "州计量所",
                                     "valid_from": "2026-01-01", "valid_until": "2026-12-31"})
    assert ok.status_code == 302
    assert count(CalibrationCertificate) == 1


def test_technician_cannot_register(client, login, tech):
    login("wang")
    assert client.get("/instruments/new").status_code == 403


def test_nav_has_instruments(client, login, tech):
    login("wang")
    assert 'href="/instruments/"' in client.get("/").get_data(as_text=True)


def test_demo_instruments(app, network):
    created = services.load_demo_instruments()
    db.session.commit()
    codes = {i.code: i for i in created}
    assert services.calibration_status(codes["BZ-BAL-01"]).ok
    assert codes["BZ-BAL-01"].serial_number == "B123456789"  # the MT-SICS simulator's
    assert services.calibration_status(codes["BZ-BAL-02"]).code == "expired"
    assert {i.org.code for i in created} == {"BZ-LAB", "BL-LAB", "BL-ST01", "JH-ST01"}
    assert services.load_demo_instruments() == []  # idempotent
