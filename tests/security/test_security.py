"""Issue 15 (and issue 14 item 9): each case an independent client found, as a regression test.

Every test runs on SQLite and PostgreSQL (LIMS_TEST_DB).  Figures are computed here by hand.
"""

from __future__ import annotations

import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.samples import services
from lims.samples.lifecycle import SampleStatus, TransitionError
from lims.samples.models import Sample
from lims.users.models import User
from lims.users.roles import Role
from tests.conftest import PASSWORD, bearer

API = "/api/v1"


# --- a prefecture sample and county users ------------------------------------------------

@pytest.fixture
def people(make_user):
    return {
        "receiver": make_user("bz_receiver", "BZ-LAB", (Role.RECEIVER,)),
        "signatory": make_user("bz_signatory", "BZ-LAB", (Role.SIGNATORY,)),
        "bl_receiver": make_user("bl_receiver", "BL-LAB", (Role.RECEIVER,)),
        "bl_tech": make_user("bl_tech", "BL-LAB", (Role.TECHNICIAN,)),
        "bl_reviewer": make_user("bl_reviewer", "BL-LAB", (Role.REVIEWER,)),
        "jh_signatory": make_user("jh_signatory", "JH-LAB", (Role.SIGNATORY,)),
        "admin": make_user("bz_admin", "BZ-LAB", (Role.ADMIN,)),
    }


@pytest.fixture
def prefecture_sample(people, receipt, network):
    """A Bole spinach sample registered, assigned to and held by the prefecture lab."""
    sample = services.register_sample(receipt(), people["receiver"])
    db.session.commit()
    services.route_sample(sample, {t.id: network["BZ-LAB"].id for t in sample.active_tests},
                          people["receiver"])
    db.session.commit()
    return sample


def _status(number: str) -> SampleStatus:
    db.session.expire_all()
    return db.session.scalar(sa.select(Sample.status).where(Sample.number == number))


def test_county_users_cannot_change_a_prefecture_sample_by_api(client, people,
                                                                prefecture_sample):
    number = prefecture_sample.number
    for who, target in (("bl_receiver", "cancelled"), ("bl_tech", "rejected")):
        answer = client.post(f"{API}/samples/{number}/transitions", headers=bearer(people[who]),
                             json={"status": target, "reason": "试探"})
        assert answer.status_code == 403, (who, answer.get_json())
        assert "无权" in answer.get_json()["error"]
    assert _status(number) == SampleStatus.REGISTERED
    # the holding lab's receiver may cancel it, with a reason
    answer = client.post(f"{API}/samples/{number}/transitions",
                         headers=bearer(people["receiver"]),
                         json={"status": "cancelled", "reason": "委托方撤回"})
    assert answer.status_code == 200, answer.get_json()
    assert _status(number) == SampleStatus.CANCELLED


def test_county_receiver_cannot_cancel_by_the_page(client, login, csrf_from, people,
                                                   prefecture_sample):
    number = prefecture_sample.number
    login("bl_receiver")
    page = client.get(f"/samples/{number}")
    assert page.status_code == 200
    assert 'name="target"' not in page.get_data(as_text=True)  # no status form offered
    answer = client.post(f"/samples/{number}/transition",
                         data={"target": "cancelled", "reason": "试探",
                               "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert answer.status_code in (302, 303, 403)
    assert _status(number) == SampleStatus.REGISTERED


def test_other_lab_signatory_cannot_send_back_to_retest(people, prefecture_sample):
    prefecture_sample.status = SampleStatus.UNDER_REVIEW
    db.session.commit()
    from lims.users.access import AccessDenied

    with pytest.raises(AccessDenied):
        services.transition(prefecture_sample, SampleStatus.RETEST, people["jh_signatory"],
                            reason="复检", manual=True)
    db.session.rollback()
    services.transition(prefecture_sample, SampleStatus.RETEST, people["signatory"],
                        reason="复检", manual=True)
    db.session.commit()
    assert _status(prefecture_sample.number) == SampleStatus.RETEST


@pytest.mark.parametrize("target", ["approved", "reported", "in_testing", "under_review",
                                    "received_at_lab"])
def test_workflow_states_cannot_be_forced(client, people, prefecture_sample, target):
    """Issue 14 item 9: a signatory posting approved then reported is refused."""
    prefecture_sample.status = SampleStatus.UNDER_REVIEW
    db.session.commit()
    number = prefecture_sample.number
    auth = bearer(people["signatory"])
    answer = client.post(f"{API}/samples/{number}/transitions", headers=auth,
                         json={"status": target, "reason": "强制"})
    assert answer.status_code == 409, answer.get_json()
    if target in ("approved", "reported", "in_testing"):
        assert "系统" in answer.get_json()["error"]
    assert _status(number) == SampleStatus.UNDER_REVIEW


def test_approved_then_reported_both_refused(client, people, prefecture_sample):
    prefecture_sample.status = SampleStatus.UNDER_REVIEW
    db.session.commit()
    auth = bearer(people["signatory"])
    url = f"{API}/samples/{prefecture_sample.number}/transitions"
    assert client.post(url, headers=auth, json={"status": "approved"}).status_code == 409
    assert client.post(url, headers=auth, json={"status": "reported"}).status_code == 409
    assert _status(prefecture_sample.number) == SampleStatus.UNDER_REVIEW


def test_receipt_needs_a_dispatch_to_the_receiving_lab(client, people, receipt, network):
    """BZ-LAB registers and holds the sample, routed to BL-LAB: BL-LAB cannot take it in
    before BZ-LAB dispatches it; after the dispatch it can."""
    sample = services.register_sample(receipt(), people["receiver"])
    db.session.commit()
    services.route_sample(sample, {t.id: network["BL-LAB"].id for t in sample.active_tests},
                          people["receiver"])
    db.session.commit()
    url = f"{API}/samples/{sample.number}/receive"
    answer = client.post(url, headers=bearer(people["bl_receiver"]), json={"condition": "完好"})
    assert answer.status_code == 409, answer.get_json()
    assert "发出" in answer.get_json()["error"]
    assert _status(sample.number) == SampleStatus.REGISTERED
    with pytest.raises(services.SampleError):
        services.receive_at_lab(sample, people["bl_receiver"], condition="完好")
    db.session.rollback()
    services.dispatch(db.session.get(Sample, sample.id), people["receiver"], condition="完好",
                      temperature_c=None)
    db.session.commit()
    answer = client.post(url, headers=bearer(people["bl_receiver"]), json={"condition": "完好"})
    assert answer.status_code == 200, answer.get_json()
    assert _status(sample.number) == SampleStatus.RECEIVED_AT_LAB


def test_transition_reason_is_required(people, prefecture_sample):
    with pytest.raises(TransitionError):
        services.transition(prefecture_sample, SampleStatus.CANCELLED, people["receiver"],
                            reason="  ", manual=True)


def test_audit_page_is_scoped_to_the_lab(client, login, people, prefecture_sample):
    url = f"/audit/sample/{prefecture_sample.id}"
    login("bl_reviewer")
    assert client.get(url).status_code == 403
    assert client.get("/audit/user_account/999999").status_code == 403  # owner unknown
    test_id = prefecture_sample.tests[0].id
    assert client.get(f"/audit/sample_test/{test_id}").status_code == 403
    assert client.get("/audit/sample/9223372036854775808").status_code == 403
    assert client.get("/audit/sample/abc").status_code == 403
    client.post("/logout", data={})
    client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
    people["signatory"]  # the prefecture's own signatory reads it
    from tests.conftest import _csrf_from

    fresh = client.application.test_client()
    page = fresh.get("/login")
    fresh.post("/login", data={"username": "bz_signatory", "password": PASSWORD,
                               "csrf_token": _csrf_from(page.get_data(as_text=True))})
    assert fresh.get(url).status_code == 200


# --- login ---------------------------------------------------------------------------------

def _post_login(app, username: str, password: str, address: str = "203.0.113.9") -> int:
    from tests.conftest import _csrf_from

    client = app.test_client()
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": _csrf_from(page.get_data(as_text=True))},
                       environ_base={"REMOTE_ADDR": address}).status_code


def test_lockout_holds_under_16_concurrent_wrong_passwords(app, people):
    """5 failures lock (MAX_FAILED_LOGINS); 16 sent at once must lock, then the right
    password is refused."""
    assert app.config["MAX_FAILED_LOGINS"] == 5
    barrier = threading.Barrier(16)

    def attempt(_):
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                return _post_login(app, "bl_tech", "Wrong-password-1")
            finally:
                db.session.remove()

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(attempt, range(16)))
    assert all(code in (401, 503) for code in codes), codes
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.username == "bl_tech"))
    assert user.locked_until is not None
    assert _post_login(app, "bl_tech", PASSWORD) == 401


def test_failures_are_counted_one_by_one(app, people):
    for n in range(1, 5):
        assert _post_login(app, "bl_tech", "Wrong-password-1") == 401
        db.session.expire_all()
        assert db.session.get(User, people["bl_tech"].id).failed_logins == n
    assert _post_login(app, "bl_tech", "Wrong-password-1") == 401
    db.session.expire_all()
    assert db.session.get(User, people["bl_tech"].id).locked_until is not None
    # the lock is in the audit trail, and the chain still verifies
    from lims.audit.models import AuditEntry
    from lims.audit.services import verify_chain

    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.table_name == "user_account", AuditEntry.field == "locked_until",
        AuditEntry.record_id == str(people["bl_tech"].id))) == 1
    assert verify_chain().intact


def test_address_limit_is_shared(app, people):
    app.config["LOGIN_ADDRESS_LIMIT"] = 3
    for name in ("nobody1", "nobody2", "nobody3"):
        assert _post_login(app, name, "x", address="198.51.100.7") == 401
    # the right password from that address is now refused; another address is not
    assert _post_login(app, "bl_reviewer", PASSWORD, address="198.51.100.7") == 401
    assert _post_login(app, "bl_reviewer", PASSWORD, address="198.51.100.8") == 302


def test_unknown_user_costs_a_password_verification(app, monkeypatch, people):
    from lims.users import passwords

    calls = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password",
                        lambda h, p: calls.append(h) or real(h, p))
    assert _post_login(app, "no-such-user", "Whatever-2026") == 401
    assert len(calls) == 1 and calls[0].startswith("$argon2")


def test_logout_ends_the_session_for_every_copy(client, login, people, prefecture_sample):
    assert login("bz_signatory").status_code == 302
    cookie = client.get_cookie("session", domain="lims.test").value
    assert client.get(f"/samples/{prefecture_sample.number}").status_code == 200
    csrf = __import__("tests.conftest", fromlist=["x"])._csrf_from(
        client.get("/preferences").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": csrf})
    thief = client.application.test_client()
    thief.set_cookie("session", cookie, domain="lims.test")
    answer = thief.get(f"/samples/{prefecture_sample.number}")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_idle_session_is_ended_on_the_server(client, login, people, app):
    from lims.users.models import UserSession

    login("bz_signatory")
    row = db.session.scalar(sa.select(UserSession))
    row.last_seen_at = row.last_seen_at - app.config["IDLE_TIMEOUT"] - \
        __import__("datetime").timedelta(minutes=1)
    db.session.commit()
    answer = client.get("/samples/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(UserSession)).revoked_at is not None


# --- the API: bearer tokens only, JSON or CSV only ---------------------------------------

def test_browser_session_is_no_credential_on_the_api(client, login, people):
    login("bz_signatory")
    assert client.get("/samples/").status_code == 200
    assert client.get(f"{API}/me").status_code == 401


def test_text_plain_is_refused_with_415(client, bl_operator, record):
    answer = client.post(f"{API}/stations/results", headers=bearer(bl_operator),
                         data=json.dumps({"records": [record()]}), content_type="text/plain")
    assert answer.status_code == 415
    assert "application/json" in answer.get_json()["error"]


def test_api_writes_are_recorded_as_the_token_user(client, people, prefecture_sample):
    from lims.audit.models import AuditEntry

    answer = client.post(f"{API}/samples/{prefecture_sample.number}/transitions",
                         headers=bearer(people["receiver"]),
                         json={"status": "cancelled", "reason": "撤回"})
    assert answer.status_code == 200
    row = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.table_name == "sample", AuditEntry.field == "status")
        .order_by(AuditEntry.id.desc()))
    assert row.actor_id == people["receiver"].id and row.actor != "system"


def test_locked_account_token_is_refused(client, people):
    import datetime as dt

    from lims.core.db import utcnow

    auth = bearer(people["bl_tech"])
    assert client.get(f"{API}/me", headers=auth).status_code == 200
    people["bl_tech"].locked_until = utcnow() + dt.timedelta(minutes=10)
    db.session.commit()
    assert client.get(f"{API}/me", headers=auth).status_code == 401


def test_tokens_must_expire(app, people):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["users", "token", "bl_tech", "--days", "0"])
    assert refused.exit_code != 0 and "过期" in refused.output
    made = runner.invoke(args=["users", "token", "bl_tech"])
    assert made.exit_code == 0
    from lims.users.models import ApiToken

    token = db.session.scalar(sa.select(ApiToken))
    assert token.expires_at is not None


def test_station_uids_are_per_station(client, bl_operator, jh_operator, record):
    shared = "SHARED-UID-0001"
    first = client.post(f"{API}/stations/results", headers=bearer(bl_operator),
                        json={"records": [record(uid=shared)]})
    assert first.status_code == 200, first.get_json()
    second = client.post(f"{API}/stations/results", headers=bearer(jh_operator),
                         json={"records": [record(uid=shared, market="JH-M01",
                                                  operator="郑快检")]})
    assert second.status_code == 200, second.get_json()


# --- client input never gives 500 -------------------------------------------------------

def test_deep_json_is_400(client, people, bl_operator):
    body = "[" * 50_000 + "]" * 50_000
    answer = client.post(f"{API}/samples/X/transitions", headers=bearer(people["receiver"]),
                         data=body, content_type="application/json")
    assert answer.status_code in (400, 404)
    answer = client.post(f"{API}/stations/results", headers=bearer(bl_operator),
                         data=body, content_type="application/json")
    assert answer.status_code == 400, answer.get_json()
    assert "嵌套" in answer.get_json()["error"]
    answer = client.post(f"{API}/samples", headers=bearer(people["receiver"]),
                         data=body, content_type="application/json")
    assert answer.status_code == 400


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-inf"])
def test_non_finite_numbers_are_refused(client, bl_operator, record, value):
    answer = client.post(f"{API}/stations/results", headers=bearer(bl_operator),
                         json={"records": [record(inhibition_pct=value)]})
    assert answer.status_code == 422, answer.get_json()


def test_bare_nan_in_json_is_refused(client, bl_operator, record):
    body = json.dumps({"records": [record()]}).replace('"18.5"', "NaN")
    answer = client.post(f"{API}/stations/results", headers=bearer(bl_operator),
                         data=body, content_type="application/json")
    assert 400 <= answer.status_code < 500


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"])
def test_extreme_dates_are_refused(client, bl_operator, record, stamp):
    answer = client.post(f"{API}/stations/results", headers=bearer(bl_operator),
                         json={"records": [record(tested_at=stamp)]})
    assert answer.status_code == 422, answer.get_json()
    assert "tested_at" in json.dumps(answer.get_json(), ensure_ascii=False)


@pytest.mark.parametrize("text", ["\u200b", "\ufeff", "\u202eabc", "ab\u0085c"])
def test_invisible_text_is_refused(client, bl_operator, record, text):
    answer = client.post(f"{API}/stations/results", headers=bearer(bl_operator),
                         json={"records": [record(stall=text)]})
    assert answer.status_code == 422, answer.get_json()


def test_every_bad_record_is_listed(client, bl_operator, record):
    good = [record() for _ in range(4)]
    bad = [record(stall="\u200b"), record(inhibition_pct="sNaN"),
           record(tested_at="0001-01-01T00:00:00+08:00"), record(operator="\ufeff"),
           record(market="NOPE"), record(inhibition_pct="500")]
    answer = client.post(f"{API}/stations/results", headers=bearer(bl_operator),
                         json={"records": good + bad})
    assert answer.status_code == 422
    listed = sorted(r["index"] for r in answer.get_json()["details"]["records"])
    assert listed == [4, 5, 6, 7, 8, 9]


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=abc",
                                   "lab_id=99999999999999999999", "region_id=-3",
                                   "after=W3siYSI6MX0sIDFd",  # [{"a":1}, 1]
                                   "after=%%%"])
def test_bad_paging_is_422(client, people, query):
    answer = client.get(f"{API}/samples?{query}", headers=bearer(people["receiver"]))
    assert answer.status_code == 422, answer.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/results/9223372036854775808", "/results/abc",
                                  "/no-such-thing"])
def test_bad_ids_answer_json(client, people, path):
    answer = client.get(f"{API}{path}", headers=bearer(people["receiver"]))
    assert answer.status_code in (400, 404)
    assert answer.is_json and "error" in answer.get_json()


def test_chunked_upload_is_limited_by_bytes_read(client, bl_operator, app, record):
    app.config["STATION_MAX_BATCH_BYTES"] = 2 * 1024 * 1024
    body = b'{"records": [' + b" " * (3 * 1024 * 1024) + b"]}"
    chunked = {**bearer(bl_operator), "Transfer-Encoding": "chunked"}
    answer = client.post(f"{API}/stations/results", headers=chunked,
                         input_stream=io.BytesIO(body), content_type="application/json",
                         environ_base={"wsgi.input_terminated": True})
    assert answer.status_code == 413, answer.get_data(as_text=True)[:200]
    assert "2097152" in answer.get_json()["error"]
    # a small chunked batch is read whole and stored
    small = json.dumps({"records": [record()]}).encode()
    answer = client.post(f"{API}/stations/results", headers=chunked,
                         input_stream=io.BytesIO(small), content_type="application/json",
                         environ_base={"wsgi.input_terminated": True})
    assert answer.status_code == 200, answer.get_json()
    big = b" " * (app.config["MAX_CONTENT_LENGTH"] + 10)
    answer = client.post(f"{API}/stations/results", headers=bearer(bl_operator),
                         data=big, content_type="application/json")
    assert answer.status_code == 413


# --- headers, cookies ---------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login", "/api/v1/me", "/no-such-page"])
def test_security_headers_on_every_response(client, path):
    answer = client.get(path)
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_secure_by_default(monkeypatch):
    import importlib

    import lims.config

    monkeypatch.delenv("LIMS_SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("LIMS_ENV", raising=False)
    try:
        assert importlib.reload(lims.config).Config.SESSION_COOKIE_SECURE is True
        monkeypatch.setenv("LIMS_ENV", "development")
        assert importlib.reload(lims.config).Config.SESSION_COOKIE_SECURE is False
    finally:
        monkeypatch.delenv("LIMS_ENV", raising=False)
        importlib.reload(lims.config)


# --- exports, audit chain, keys ------------------------------------------------------------

def test_spreadsheet_cells_are_never_formulas():
    import csv

    from openpyxl import Workbook, load_workbook

    from lims.core.exports import csv_bytes, xlsx_append

    values = ["=1+2", "+1", "-1", "@SUM(A1)", "\t=x", "\r=x", "=HYPERLINK(\"http://x\")", "菠菜"]
    rows = list(csv.reader(io.StringIO(csv_bytes(["h"] * 8, [values]).decode("utf-8-sig"))))
    assert rows[1] == ["'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\t=x", "'\r=x",
                       "'=HYPERLINK(\"http://x\")", "菠菜"]
    book = Workbook()
    xlsx_append(book.active, values)
    buffer = io.BytesIO()
    book.save(buffer)
    cells = list(load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows())[0]
    assert [c.data_type for c in cells] == ["s"] * 8
    assert cells[0].value == "=1+2"


def test_truncated_audit_tail_is_found(app, people):
    from lims.audit.models import AuditEntry
    from lims.audit.services import verify_chain

    assert verify_chain().intact
    if db.engine.dialect.name == "postgresql":
        pytest.skip("the PostgreSQL trigger refuses DELETE (tests/foundation/test_audit.py)")
    last = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id > last - 3))
    db.session.commit()
    report = verify_chain()
    assert not report.intact and "removed from the end" in report.problem
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_keys_init_honours_the_instance_path(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from lims.reports.keys_cli import keys

    monkeypatch.setenv("LIMS_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("LIMS_SIGNING_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(keys, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "inst" / "keys").is_dir()
    assert not (tmp_path / "instance").exists()


# --- receipt text, query dates, the OpenAPI document ------------------------------------

@pytest.mark.parametrize("field,value", [("business_name", "\u200b"), ("food_name", "\ufeff"),
                                         ("sampler", "李\u202e抽样"), ("producer", "a\u0085b")])
def test_receipt_refuses_invisible_text(client, people, receipt, field, value):
    body = dict(receipt(**{field: value}).__dict__)
    answer = client.post(f"{API}/samples", headers=bearer(people["receiver"]), json=body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["details"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Sample)) == 0


def test_day_query_needs_an_iso_date(client, bl_operator):
    auth = bearer(bl_operator)
    assert client.get(f"{API}/stations/results?date=0", headers=auth).status_code == 422
    assert client.get(f"{API}/stations/results?date=2026-11-28", headers=auth).status_code == 200


def test_openapi_marks_required_fields(client):
    doc = client.get(f"{API}/openapi.json").get_json()
    receipt = doc["components"]["schemas"]["ReceiptInput"]
    assert {"task_type", "food_name", "subcategory", "business_name", "business_county",
            "sampled_on", "quantity", "quantity_unit", "condition_ok"} <= set(receipt["required"])
    assert "condition" in doc["components"]["schemas"]["HandOverIn"]["required"]


def test_hold_and_resume_to_the_held_state(client, people, prefecture_sample):
    sample = prefecture_sample
    services.receive_at_lab(sample, people["receiver"], condition="完好")
    db.session.commit()
    url = f"{API}/samples/{sample.number}/transitions"
    auth = bearer(people["receiver"])
    assert client.post(url, headers=auth, json={"status": "on_hold"}).status_code == 409
    assert client.post(url, headers=bearer(people["bl_receiver"]),
                       json={"status": "on_hold", "reason": "试探"}).status_code == 403
    answer = client.post(url, headers=auth, json={"status": "on_hold", "reason": "待委托方确认"})
    assert answer.status_code == 200, answer.get_json()
    assert _status(sample.number) == SampleStatus.ON_HOLD
    # it was held in received_at_lab: resuming to in_testing is refused
    answer = client.post(url, headers=auth, json={"status": "in_testing", "reason": "继续"})
    assert answer.status_code == 409, answer.get_json()
    answer = client.post(url, headers=auth, json={"status": "received_at_lab",
                                                   "reason": "已确认"})
    assert answer.status_code == 200, answer.get_json()
    assert _status(sample.number) == SampleStatus.RECEIVED_AT_LAB


def _process_attempts(app, start, queue, threads: int) -> None:
    """In a forked worker process: ``threads`` wrong passwords at once, codes to ``queue``."""
    with app.app_context():
        db.engine.dispose(close=False)  # the parent's connections are not ours
        start.wait(30)
        with ThreadPoolExecutor(threads) as pool:
            def one(_):
                with app.app_context():
                    try:
                        return _post_login(app, "bl_tech", "Wrong-password-1")
                    finally:
                        db.session.remove()
            queue.put(list(pool.map(one, range(threads))))


def test_lockout_holds_across_worker_processes(app, people):
    """4 processes × 4 threads, as 4 gunicorn workers would see 16 wrong passwords."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    start, queue = context.Event(), context.Queue()
    user_id = people["bl_tech"].id
    db.session.remove()
    db.engine.dispose()
    workers = [context.Process(target=_process_attempts, args=(app, start, queue, 4))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    codes = [code for _ in workers for code in queue.get(timeout=120)]
    for worker in workers:
        worker.join(30)
    assert len(codes) == 16 and all(code in (401, 503) for code in codes), codes
    assert db.session.get(User, user_id).locked_until is not None
    assert _post_login(app, "bl_tech", PASSWORD) == 401
