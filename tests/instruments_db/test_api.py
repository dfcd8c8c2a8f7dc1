"""The bench agent's API: exactly-once delivery, refusals that store nothing, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.instruments import services
from lims.instruments.models import CaptureRequest, CaptureState, InstrumentReading
from lims.users.roles import Role

URL = "/api/v1/instruments/{}/readings"


@pytest.fixture
def bench(make_instrument, tech, token_for):
    return make_instrument(), token_for(tech)


def post(client, headers, body, code="BZ-BAL-01", key=None):
    extra = {"Idempotency-Key": key if key is not None else body.get("uid", "")}
    return client.post(URL.format(code), json=body, headers={**headers, **extra})


def test_reading_is_stored_with_its_raw_frame(client, bench, payload):
    inst, headers = bench
    resp = post(client, headers, payload("123.450"))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["created"] is True and body["reading"]["value"] == "123.450"
    stored = db.session.scalar(sa.select(InstrumentReading))
    assert str(stored.value) == "123.450"  # trailing zero kept: exact decimal, never a float
    assert stored.raw == b"S S    123.450 g\r\n"
    assert stored.raw_text == "S S    123.450 g\\r\\n"
    assert stored.serial_number == "B123456789" and stored.received_by_id is not None
    assert stored.read_at.tzinfo is not None


def test_same_uid_twice_is_one_row_and_same_answer(client, bench, payload, count):
    _, headers = bench
    body = payload("5.00", uid="agent-uid-0001")
    first = post(client, headers, body)
    again = post(client, headers, body)  # the agent resends after a lost reply
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["created"] is False
    assert again.get_json()["reading"] == first.get_json()["reading"]
    assert count(InstrumentReading) == 1


def test_same_uid_other_content_is_a_conflict(client, bench, payload, count):
    _, headers = bench
    post(client, headers, payload("5.00", uid="agent-uid-0002"))
    resp = post(client, headers, payload("5.01", uid="agent-uid-0002"))
    assert resp.status_code == 409
    assert "agent-uid-0002" in resp.get_json()["error"]
    assert count(InstrumentReading) == 1
    assert str(db.session.scalar(sa.select(InstrumentReading.value))) == "5.00"


def test_idempotency_key_must_match_uid(client, bench, payload, count):
    _, headers = bench
    resp = post(client, headers, payload(uid="agent-uid-0003"), key="agent-uid-9999")
    assert resp.status_code == 422 and "Idempotency-Key" in resp.get_json()["error"]
    assert count(InstrumentReading) == 0


def test_uid_from_header_alone(client, bench, payload):
    _, headers = bench
    body = payload()
    del body["uid"]
    resp = post(client, headers, body, key="header-only-uid-1")
    assert resp.status_code == 201 and resp.get_json()["reading"]["uid"] == "header-only-uid-1"


def test_out_of_calibration_is_refused_and_nothing_stored(client, make_instrument, tech,
                                                           token_for, payload, count):
    make_instrument("BZ-BAL-02", cert=(-400, -3))
    resp = post(client, token_for(tech), payload(), code="BZ-BAL-02")
    assert resp.status_code == 422
    assert "过期" in resp.get_json()["error"] and "BZ-BAL-02" in resp.get_json()["error"]
    assert count(InstrumentReading) == 0


def test_no_certificate_refused(client, make_instrument, tech, token_for, payload, count):
    make_instrument("BZ-BAL-03", cert=None)
    resp = post(client, token_for(tech), payload(), code="BZ-BAL-03")
    assert resp.status_code == 422 and "证书" in resp.get_json()["error"]
    assert count(InstrumentReading) == 0


def test_serial_mismatch_refused(client, bench, payload, count):
    _, headers = bench
    resp = post(client, headers, payload(serial="B999999999"))
    assert resp.status_code == 422
    assert "序列号不符" in resp.get_json()["error"] and "B999999999" in resp.get_json()["error"]
    assert count(InstrumentReading) == 0


def test_reading_taken_while_calibrated_is_accepted_after_expiry(
        client, make_instrument, tech, token_for, payload, today):
    """Calibration is judged on the day the reading was taken: an outage does not void it."""
    make_instrument("BZ-BAL-04", cert=(-400, -2))
    taken = dt.datetime.combine(today - dt.timedelta(days=3), dt.time(12, 0),
                                tzinfo=services.lab_timezone())
    resp = post(client, token_for(tech), payload(read_at=taken), code="BZ-BAL-04")
    assert resp.status_code == 201


@pytest.mark.parametrize("change, field", [
    ({"value": 100.0}, "value"),                        # a JSON float
    ({"value": 100}, "value"),                          # a JSON number at all
    ({"value": "1e3"}, "value"),
    ({"value": None}, "value"),
    ({"raw_b64": "not base64!!"}, "raw_b64"),
    ({"raw_b64": ""}, "raw_b64"),
    ({"raw_text": "something else"}, "raw_text"),
    ({"read_at": "2026-05-01T08:00:00"}, "read_at"),   # naive
    ({"read_at": "yesterday"}, "read_at"),
    ({"read_at": "2999-01-01T00:00:00Z"}, "read_at"),  # from the future
    ({"stable": "yes"}, "stable"),
    ({"unit": None}, "unit"),
    ({"driver": "and-standard"}, "driver"),
    ({"request_id": "12"}, "request_id"),
    ({"request_id": 999}, "request_id"),               # no such capture request
    ({"channel": 1.5}, "channel"),
    ({"inhibition_pct": 45.2}, "inhibition_pct"),
    ({"positive": "no"}, "positive"),
    ({"uid": "short"}, "uid"),
])
def test_bad_payloads_are_refused_and_nothing_stored(client, bench, payload, count,
                                                      change, field):
    _, headers = bench
    body = {**payload(), **change}
    resp = post(client, headers, body, key="")
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["details"]["field"] == field
    assert field in resp.get_json()["error"]
    assert count(InstrumentReading) == 0


def test_body_must_be_json(client, bench, count):
    _, headers = bench
    resp = client.post(URL.format("BZ-BAL-01"), data="value=1", headers=headers)
    # a form body is refused before the view (issue 15: /api/v1 takes JSON or CSV only)
    assert resp.status_code == 415 and count(InstrumentReading) == 0


def test_other_org_gets_404(client, bench, make_user, token_for, payload, count):
    other = make_user("liu", org_code="BL-LAB", roles=(Role.TECHNICIAN,))
    headers = token_for(other)
    assert post(client, headers, payload()).status_code == 404
    assert client.get("/api/v1/instruments/BZ-BAL-01", headers=headers).status_code == 404
    assert client.get("/api/v1/instruments/BZ-BAL-01/capture-requests",
                      headers=headers).status_code == 404
    assert client.get("/api/v1/instruments/NOPE", headers=bench[1]).status_code == 404
    assert count(InstrumentReading) == 0


def test_roles_without_bench_work_are_forbidden(client, bench, make_user, token_for, payload,
                                                count):
    receiver = make_user("li", org_code="BZ-LAB", roles=(Role.RECEIVER,))
    resp = post(client, token_for(receiver), payload())
    assert resp.status_code == 403 and count(InstrumentReading) == 0


def test_no_token_is_401(client, bench, payload, count):
    assert client.post(URL.format("BZ-BAL-01"), json=payload()).status_code == 401
    assert count(InstrumentReading) == 0


def test_station_operator_posts_reader_results(client, make_instrument, make_user, token_for,
                                               payload):
    make_instrument("BL-ST01-PR", "BL-ST01", kind="pesticide_reader",
                    driver="pesticide-reader", serial="")
    operator = make_user("sun", org_code="BL-ST01", roles=(Role.STATION_OPERATOR,))
    body = payload("66.3", driver="pesticide-reader", unit="%", serial=None, channel=3,
                   sample_id="S-007", inhibition_pct="66.3", positive=True)
    resp = post(client, token_for(operator), body, code="BL-ST01-PR")
    assert resp.status_code == 201, resp.get_json()
    stored = db.session.scalar(sa.select(InstrumentReading))
    assert (stored.channel, stored.sample_id, str(stored.inhibition_pct), stored.positive) == \
        (3, "S-007", "66.3", True)


def test_config_for_the_agent(client, make_instrument, tech, token_for):
    make_instrument("BZ-BAL-05", driver="and-standard",
                    port_settings='{"baudrate": 2400, "parity": "E", "bytesize": 7}')
    resp = client.get("/api/v1/instruments/BZ-BAL-05", headers=token_for(tech))
    body = resp.get_json()
    assert body["driver"] == "and-standard"
    assert body["port_settings"] == {"baudrate": 2400, "bytesize": 7, "parity": "E"}
    assert body["calibration"]["ok"] is True


def test_capture_request_round_trip(client, bench, tech, payload, count):
    inst, headers = bench
    capture = services.request_capture(inst, tech, "S")
    db.session.commit()
    listing = client.get("/api/v1/instruments/BZ-BAL-01/capture-requests", headers=headers)
    assert listing.get_json() == {"requests": [{"id": capture.id, "command": "S"}]}
    resp = post(client, headers, payload("42.00", request_id=capture.id))
    assert resp.status_code == 201
    db.session.expire_all()
    assert capture.state == CaptureState.FULFILLED
    assert capture.reading_id == resp.get_json()["reading"]["id"]
    listing = client.get("/api/v1/instruments/BZ-BAL-01/capture-requests", headers=headers)
    assert listing.get_json() == {"requests": []}
    latest = client.get("/api/v1/instruments/BZ-BAL-01/readings/latest", headers=headers)
    assert latest.get_json()["reading"]["value"] == "42.00"
    after = client.get(f"/api/v1/instruments/BZ-BAL-01/readings/latest?after="
                       f"{capture.reading_id}", headers=headers)
    assert after.get_json() == {"reading": None}


def test_capture_failure_is_recorded(client, bench, tech, count):
    inst, headers = bench
    capture = services.request_capture(inst, tech)
    db.session.commit()
    url = f"/api/v1/instruments/BZ-BAL-01/capture-requests/{capture.id}/failure"
    resp = client.post(url, json={"error": "天平超载"}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["state"] == "failed"
    again = client.post(url, json={"error": "x"}, headers=headers)
    assert again.status_code == 409
    db.session.expire_all()
    assert capture.error == "天平超载"
    assert count(InstrumentReading) == 0


def test_stale_capture_requests_are_not_offered(client, bench, tech):
    inst, headers = bench
    capture = services.request_capture(inst, tech)
    db.session.commit()
    capture.created_at = services.utcnow() - services.CAPTURE_TTL - dt.timedelta(seconds=1)
    db.session.commit()
    listing = client.get("/api/v1/instruments/BZ-BAL-01/capture-requests", headers=headers)
    assert listing.get_json() == {"requests": []}
    assert services.capture_expired(capture)


def test_capture_request_refused_out_of_calibration(make_instrument, tech, count):
    inst = make_instrument("BZ-BAL-02", cert=(-400, -3))
    with pytest.raises(services.InstrumentRefused, match="过期"):
        services.request_capture(inst, tech)
    db.session.rollback()
    assert count(CaptureRequest) == 0


def test_concurrent_duplicate_insert_answers_the_stored_reading(bench, tech, payload, count,
                                                                monkeypatch):
    """Two deliveries of one uid race: the loser's insert fails on the unique key and it
    answers the winner's row instead of a second one."""
    inst, _ = bench
    body = payload(uid="race-uid-0001")
    winner, created = services.record_reading(inst, body, tech)
    db.session.commit()
    assert created
    real = services._by_uid
    lookups = []

    def racing_lookup(uid):  # the loser's first look-up ran "before" the winner committed
        lookups.append(uid)
        return None if len(lookups) == 1 else real(uid)

    monkeypatch.setattr(services, "_by_uid", racing_lookup)
    reading, created = services.record_reading(inst, body, tech)
    assert not created and reading.id == winner.id
    assert len(lookups) == 2  # the insert hit the unique key, then the row was looked up
    assert count(InstrumentReading) == 1


def test_latest_is_the_reading_taken_last_not_received_last(client, bench, payload):
    """After an outage the readings arrive out of order (ids follow arrival): "latest" is
    the one taken last."""
    _, headers = bench
    now = dt.datetime.now(dt.UTC)
    for value, seconds_ago in (("20.02", 30), ("30.03", 20), ("10.01", 40)):
        resp = post(client, headers, payload(value, read_at=now - dt.timedelta(seconds=seconds_ago)))
        assert resp.status_code == 201
    latest = client.get("/api/v1/instruments/BZ-BAL-01/readings/latest", headers=headers)
    assert latest.get_json()["reading"]["value"] == "30.03"
    assert [str(r.value) for r in services.recent_readings(bench[0])] == [
        "30.03", "20.02", "10.01"]


def test_a_capture_is_answered_only_by_a_reading_taken_after_it(client, bench, tech, payload,
                                                               login):
    inst, headers = bench
    # a weight taken a minute ago arrives late, after the technician pressed "capture"
    capture = services.request_capture(inst, tech, "S")
    db.session.commit()
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    assert post(client, headers, payload("10.01", read_at=old)).status_code == 201
    login("wang")
    poll = client.get(f"/instruments/BZ-BAL-01/latest.json?request={capture.id}").get_json()
    assert poll["reading"] is None and poll["request"]["state"] == "pending"
    # a reading that claims to answer the request but was taken before it: stored, not used
    resp = post(client, headers, payload("11.11", read_at=old, request_id=capture.id))
    assert resp.status_code == 201
    db.session.expire_all()
    assert capture.state == CaptureState.FAILED and "早于采集请求" in capture.error
    poll = client.get(f"/instruments/BZ-BAL-01/latest.json?request={capture.id}").get_json()
    assert poll["reading"] is None and poll["request"]["state"] == "failed"
    # the next capture is answered by the reading the agent takes for it
    again = services.request_capture(inst, tech, "S")
    db.session.commit()
    fresh = post(client, headers, payload("12.12", read_at=dt.datetime.now(dt.UTC),
                                          request_id=again.id))
    assert fresh.status_code == 201
    poll = client.get(f"/instruments/BZ-BAL-01/latest.json?request={again.id}").get_json()
    assert poll["reading"]["value"] == "12.12" and poll["request"]["state"] == "fulfilled"
