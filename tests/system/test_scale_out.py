"""Two gunicorn workers (two app instances on one database) share everything they need:
failed-login counts and lockouts, capture requests for the bench agent, sessions.

Each "worker" here is its own ``create_app()`` with its own engine and test client, as two
processes behind a load balancer would be; nothing passes between them but the database and
the signed session cookie.
"""

from __future__ import annotations

import pytest

from lims import create_app
from lims.extensions import db
from lims.users.roles import Role
from lims.users.services import issue_token
from tests.conftest import PASSWORD, _csrf_from, _test_settings


@pytest.fixture
def second_worker(app, tmp_path):
    other = create_app(_test_settings(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "w2"))
    yield other
    with other.app_context():
        db.engine.dispose()


def _try_login(app, client, username: str, password: str):
    with app.app_context():
        page = client.get("/login")
        return client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": _csrf_from(page.get_data(as_text=True))})


def test_failed_logins_on_two_workers_add_up_to_a_lockout(app, make_user, second_worker):
    make_user("wang", roles=(Role.TECHNICIAN,))
    db.session.remove()
    first, second = app.test_client(), second_worker.test_client()
    limit = app.config["MAX_FAILED_LOGINS"]
    for attempt in range(limit):
        worker, client = (app, first) if attempt % 2 == 0 else (second_worker, second)
        response = _try_login(worker, client, "wang", "wrong-password")
        assert response.status_code == 401
    # The right password is now refused on either worker: the lock is a row, not a counter
    # in one process.
    for worker, client in ((app, first), (second_worker, second)):
        response = _try_login(worker, client, "wang", PASSWORD)
        assert response.status_code == 401
        assert "已锁定" in response.get_data(as_text=True)


def test_a_session_cookie_signed_by_one_worker_is_valid_on_the_other(app, make_user,
                                                                     second_worker):
    make_user("zhang", roles=(Role.RECEIVER,))
    db.session.remove()
    client = app.test_client()
    assert _try_login(app, client, "zhang", PASSWORD).status_code == 302
    cookie = client.get_cookie("session", domain="lims.test")
    assert cookie is not None
    other = second_worker.test_client()
    other.set_cookie("session", cookie.value, domain="lims.test")
    with second_worker.app_context():
        assert other.get("/samples/").status_code == 200


def test_a_capture_requested_on_one_worker_is_seen_by_the_agent_on_another(
        app, make_user, second_worker):
    tech = make_user("liu", roles=(Role.TECHNICIAN,))
    token = issue_token(tech, name="bench-agent").token
    db.session.commit()
    db.session.remove()
    client = app.test_client()
    assert _try_login(app, client, "liu", PASSWORD).status_code == 302
    with app.app_context():
        asked = client.post("/instruments/BZ-BAL-01/capture", json={},
                            headers={"X-CSRFToken": _csrf_from(
                                client.get("/instruments/BZ-BAL-01").get_data(as_text=True))})
    assert asked.status_code == 201, asked.get_data(as_text=True)[:500]
    with second_worker.app_context():
        polled = second_worker.test_client().get(
            "/api/v1/instruments/BZ-BAL-01/capture-requests",
            headers={"Authorization": f"Bearer {token}"})
    assert polled.status_code == 200
    assert [r["id"] for r in polled.json["requests"]] == [asked.json["request_id"]]
