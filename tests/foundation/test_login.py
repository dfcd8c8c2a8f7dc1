"""Signing in: passwords, lockout after failures, CSRF, idle timeout."""

from datetime import timedelta

from lims.core.db import utcnow
from lims.extensions import db
from lims.users.models import User


def test_a_user_signs_in_and_sees_home(make_user, login, client):
    make_user("wang")
    response = login("wang", follow=True)
    assert response.status_code == 200
    assert "wang" in response.get_data(as_text=True)


def test_wrong_password_is_refused(make_user, login):
    make_user("wang")
    response = login("wang", password="not-the-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_account_locks_after_repeated_failures(app, make_user, login):
    make_user("wang")
    limit = app.config["MAX_FAILED_LOGINS"]
    for _ in range(limit):
        login("wang", password="wrong-password")
    user = db.session.scalar(db.select(User).filter_by(username="wang"))
    db.session.refresh(user)
    assert user.locked_until is not None and user.locked_until > utcnow()
    # Even the right password is refused while locked.
    response = login("wang")
    assert response.status_code == 401
    assert "锁定" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_rejected(make_user, client):
    make_user("wang")
    response = client.post("/login", data={"username": "wang", "password": "x"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_logout_without_csrf_token_is_rejected(make_user, login, client):
    make_user("wang")
    login("wang")
    assert client.post("/logout").status_code == 400


def test_idle_session_times_out(app, make_user, login, client):
    make_user("wang")
    login("wang")
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - app.config["IDLE_TIMEOUT"]
                                - timedelta(minutes=1)).isoformat()
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302  # really signed out


def test_chinese_by_default_and_english_on_request(client):
    assert "登录" in client.get("/login").get_data(as_text=True)
    assert "Sign in" in client.get("/login?lang=en").get_data(as_text=True)


def test_open_redirect_after_login_is_ignored(make_user, client, csrf_from):
    make_user("wang")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=https://evil.example/", data={
        "username": "wang", "password": "Bench-test-2026!", "csrf_token": token})
    assert response.headers["Location"] == "/"
