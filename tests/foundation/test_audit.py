"""The audit trail: rows for every change, a hash chain, and append-only storage."""

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lims.audit.context import Actor, acting_as, change_reason
from lims.audit.models import AuditEntry
from lims.audit.services import history, verify_chain
from lims.extensions import db
from tests.conftest import ENGINE


def _audit_verify(app):
    runner = CliRunner()
    return runner.invoke(app.cli, ["audit", "verify"], catch_exceptions=False)


def test_a_change_writes_old_and_new_values_with_who_and_why(app, network):
    lab = network["JH-LAB"]
    with acting_as(Actor(42, "admin")), change_reason("address corrected after site visit"):
        lab.address = "精河县新地址 1 号"
        db.session.commit()
    rows = [e for e in history("organization", str(lab.id)) if e.action == "update"]
    assert len(rows) == 1
    row = rows[0]
    assert (row.field, row.new_value) == ("address", "精河县新地址 1 号")
    assert row.old_value == "精河县（演示地址）"
    assert (row.actor, row.actor_id) == ("admin", 42)
    assert row.reason == "address corrected after site visit"
    assert row.at.tzinfo is not None


def test_create_and_delete_are_audited(app, make_user):
    user = make_user("temp")
    user_id = user.id
    db.session.delete(user)
    db.session.commit()
    actions = [e.action for e in history("user_account", str(user_id))]
    assert actions == ["create", "delete"]


def test_rollback_leaves_no_audit_rows(app, network):
    before = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    network["JH-LAB"].address = "not kept"
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == before


def test_verify_reports_an_intact_chain(app, network):
    report = verify_chain()
    assert report.intact and report.checked > 10
    result = _audit_verify(app)
    assert result.exit_code == 0
    assert "intact" in result.output


def _tamper(statement: str, params: dict) -> None:
    with db.engine.begin() as conn:
        if ENGINE == "postgresql":
            # A superuser going around the trigger: only the hash chain can catch this.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(statement), params)


def test_verify_finds_an_edited_row(app, network):
    target = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()[5]
    _tamper("UPDATE audit_entry SET new_value = :v WHERE id = :id",
            {"v": '{"population": "1"}', "id": target.id})
    result = _audit_verify(app)
    assert result.exit_code == 1
    assert f"row {target.id}" in result.output


def test_verify_finds_a_deleted_row(app, network):
    target = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()[3]
    _tamper("DELETE FROM audit_entry WHERE id = :id", {"id": target.id})
    result = _audit_verify(app)
    assert result.exit_code == 1
    assert f"row {target.id + 1}" in result.output


@pytest.mark.skipif(ENGINE != "postgresql", reason="the trigger exists on PostgreSQL")
def test_postgres_refuses_update_and_delete_of_audit_rows(app, network):
    from sqlalchemy.exc import DBAPIError

    first = db.session.scalar(sa.select(AuditEntry.id).order_by(AuditEntry.id).limit(1))
    db.session.rollback()  # release the read lock: TRUNCATE would wait on it
    for statement in ("UPDATE audit_entry SET actor = 'x' WHERE id = :id",
                      "DELETE FROM audit_entry WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text(statement), {"id": first})
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE audit_entry"))


def test_audit_history_page(make_user, login, client, network):
    from lims.users.roles import Role

    make_user("rev", roles=(Role.REVIEWER,))
    login("rev")
    page = client.get(f"/audit/organization/{network['JH-LAB'].id}")
    assert page.status_code == 200
    assert "精河县" in page.get_data(as_text=True)


def test_audit_history_page_needs_permission(make_user, login, client, network):
    make_user("tech")
    login("tech")
    assert client.get(f"/audit/organization/{network['JH-LAB'].id}").status_code == 403
