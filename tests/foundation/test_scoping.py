"""A county sees its own county, the prefecture sees all, through pages and the API."""

from lims.extensions import db
from lims.users.models import ApiToken
from lims.users.roles import Role
from lims.users.services import issue_token


def test_county_user_cannot_open_another_countys_lab_page(make_user, login, client):
    make_user("bole", org_code="BL-LAB")
    login("bole")
    assert client.get("/orgs/BL-LAB").status_code == 200
    assert client.get("/orgs/BL-ST01").status_code == 200  # a station of its own county
    assert client.get("/orgs/JH-LAB").status_code == 404
    listing = client.get("/orgs/").get_data(as_text=True)
    assert "BL-LAB" in listing and "JH-LAB" not in listing


def test_prefecture_user_sees_every_county(make_user, login, client):
    make_user("zhou", roles=(Role.SUPERVISOR,))
    login("zhou")
    for code in ("BL-LAB", "JH-LAB", "WQ-LAB", "JH-ST01"):
        assert client.get(f"/orgs/{code}").status_code == 200


def test_station_sees_only_itself(make_user, login, client):
    make_user("sun", org_code="BL-ST01", roles=(Role.STATION_OPERATOR,))
    login("sun")
    assert client.get("/orgs/BL-ST01").status_code == 200
    assert client.get("/orgs/BL-LAB").status_code == 404


def test_api_scoping_with_bearer_token(make_user, client):
    user = make_user("bole", org_code="BL-LAB")
    issued = issue_token(user)
    db.session.commit()
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert client.get("/api/v1/me", headers=headers).json["org"] == "BL-LAB"
    assert client.get("/api/v1/orgs/BL-LAB", headers=headers).status_code == 200
    assert client.get("/api/v1/orgs/JH-LAB", headers=headers).status_code == 404


def test_api_refuses_missing_or_bad_tokens(client, network):
    assert client.get("/api/v1/me").status_code == 401
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer lims_not-a-token"})
    assert bad.status_code == 401
    assert "令牌" in bad.json["error"]


def test_tokens_are_stored_hashed_and_revocable(make_user, client):
    user = make_user("bole", org_code="BL-LAB")
    issued = issue_token(user)
    db.session.commit()
    stored = db.session.scalar(db.select(ApiToken))
    assert issued.token not in (stored.token_hash, stored.prefix)
    assert len(stored.token_hash) == 64
    stored.revoked_at = stored.created_at
    db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.token}"})
    assert response.status_code == 401
