"""A database connection lost in the middle of a request: a clear 503, nothing half-written."""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from lims.audit.models import AuditEntry
from lims.audit.services import verify_chain
from lims.extensions import db
from lims.samples.models import Sample, SampleSequence, SampleTest
from tests.conftest import ENGINE, PG_ADMIN_URL
from tests.system.conftest import RECEIPT


@contextlib.contextmanager
def connection_dies_at(statement_start: str):
    """Kill this process's database connection the first time a statement beginning with
    ``statement_start`` is about to run: PostgreSQL terminates the backend from another
    connection (as a server restart or failover would); SQLite closes the file handle."""
    engine = db.engine
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT") \
        if ENGINE == "postgresql" else None
    fired = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if fired or not statement.lstrip().upper().startswith(statement_start):
            return
        fired.append(statement)
        raw = conn.connection.dbapi_connection
        if admin is not None:
            with admin.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"),
                              {"pid": raw.info.backend_pid})
        else:
            raw.close()

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield fired
    finally:
        event.remove(engine, "before_cursor_execute", before)
        if admin is not None:
            admin.dispose()


def _counts() -> tuple[int, int, int]:
    db.session.remove()
    return (db.session.scalar(sa.select(sa.func.count(Sample.id))),
            db.session.scalar(sa.select(sa.func.count(SampleTest.id))),
            db.session.scalar(sa.select(sa.func.count(AuditEntry.id))))


def _sequence_values() -> list[int]:
    return list(db.session.scalars(sa.select(SampleSequence.value)))


def test_api_registration_when_the_connection_drops_mid_flush(client, api_headers):
    before, sequences = _counts(), _sequence_values()
    with connection_dies_at("INSERT INTO SAMPLE_TEST") as fired:
        response = client.post("/api/v1/samples", json=RECEIPT, headers=api_headers)
    assert fired, "the sample's test rows were never inserted: the fault did not happen"
    assert response.status_code == 503
    assert response.json["error"].startswith("数据库连接中断")
    assert "未保存任何内容" in response.json["error"]
    assert response.headers["Retry-After"]
    # The sample row went in before the connection died; it was rolled back with the rest.
    assert _counts() == before
    assert _sequence_values() == sequences
    assert verify_chain().intact
    # The next request gets a fresh connection and succeeds.
    again = client.post("/api/v1/samples", json=RECEIPT, headers=api_headers)
    assert again.status_code == 201, again.json
    assert _counts()[0] == before[0] + 1


def test_receipt_page_when_the_connection_drops(receiver, login, client, csrf_from):
    login("li")
    page = client.get("/samples/new?subcategory=34-6")
    form = {**RECEIPT, "business_county": "652701", "action": "register",
            "csrf_token": csrf_from(page.get_data(as_text=True))}
    before = _counts()
    with connection_dies_at("INSERT INTO AUDIT_ENTRY") as fired:
        response = client.post("/samples/new", data=form)
    assert fired
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "服务暂时不可用" in html and "未保存任何内容" in html
    assert _counts() == before
    assert verify_chain().intact


def test_a_programming_error_is_still_a_500(app, client):
    """Only transient database faults become 503s: a bug must not be reported as an outage."""
    from lims.core.faults import is_unavailable

    broken = sa.exc.ProgrammingError("SELECT nope", {}, Exception("syntax error"))
    assert not is_unavailable(broken)
    assert is_unavailable(sa.exc.OperationalError("SELECT 1", {}, Exception("locked")))


@pytest.mark.parametrize("accept", ["application/json"])
def test_json_clients_of_pages_get_json(receiver, login, client, accept):
    login("li")
    with connection_dies_at("SELECT"):
        response = client.get("/samples/", headers={"Accept": accept})
    assert response.status_code == 503
    assert response.json["error"].startswith("数据库连接中断")
