"""Backup and restore round-trip the database; the restored audit chain still verifies."""

from __future__ import annotations

import shutil
import uuid

import pytest
import sqlalchemy as sa

from lims import create_app
from lims.audit.models import AuditEntry
from lims.audit.services import verify_chain
from lims.backup import services as backup_services
from lims.backup.services import BackupError
from lims.extensions import db
from lims.samples.models import Sample
from tests.conftest import ENGINE, PG_ADMIN_URL, _test_settings
from tests.system.conftest import RECEIPT


@pytest.fixture
def lab_day(client, api_headers):
    """A morning at the prefecture lab: two samples registered, one routed and dispatched."""
    numbers = []
    for business in ("博乐市农贸市场 12 号摊位", "博乐市青得里超市"):
        created = client.post("/api/v1/samples", json={**RECEIPT, "business_name": business},
                              headers=api_headers)
        assert created.status_code == 201, created.json
        numbers.append(created.json["number"])
    db.session.remove()
    return numbers


def _chain_head() -> tuple[int, str]:
    last = db.session.execute(sa.select(sa.func.count(AuditEntry.id), sa.func.max(AuditEntry.id))
                              ).one()
    head = db.session.scalar(sa.select(AuditEntry.row_hash).where(AuditEntry.id == last[1]))
    return last[0], head


@pytest.fixture
def empty_target(tmp_path):
    """A database with nothing in it, created in the test (PostgreSQL) or a new file."""
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"lims_restore_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_round_trip_keeps_samples_and_a_verifiable_audit_chain(app, lab_day, tmp_path,
                                                               empty_target):
    rows, head = _chain_head()
    assert rows > 10 and verify_chain().intact
    runner = app.test_cli_runner()
    archive = tmp_path / "lims-backup.dump"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output and archive.stat().st_size > 0
    db.session.remove()

    restored = create_app(_test_settings(empty_target, tmp_path / "restored"))
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert f"audit chain intact: {rows} rows verified" in result.output
        assert _chain_head() == (rows, head)
        assert sorted(db.session.scalars(sa.select(Sample.number))) == sorted(lab_day)
        if ENGINE == "postgresql":
            # The append-only trigger came back with the schema.
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(sa.text("DELETE FROM audit_entry"))
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_database_with_data_unless_forced(app, lab_day, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    archive = tmp_path / "before.dump"
    backup_services.backup(url, archive)
    # A third sample is registered after the backup.
    from lims.samples.receipt import ReceiptInput
    from lims.samples.services import register_sample
    from lims.users.models import User

    receiver = db.session.scalar(sa.select(User).where(User.username == "li"))
    register_sample(ReceiptInput(**{**RECEIPT, "business_name": "温泉县某超市"}), receiver)
    db.session.commit()
    db.session.remove()
    db.engine.dispose()

    with pytest.raises(BackupError, match="不是空的.*--force"):
        backup_services.restore(url, archive)
    assert db.session.scalar(sa.select(sa.func.count(Sample.id))) == 3  # untouched
    db.session.remove()
    db.engine.dispose()

    result = app.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code != 0 and "--force" in result.output

    result = app.test_cli_runner().invoke(args=["restore", "--force", str(archive)])
    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(sa.select(Sample.number))) == sorted(lab_day)
    assert verify_chain().intact


def test_clear_errors_for_bad_files(app, tmp_path, empty_target):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with pytest.raises(BackupError, match="备份文件不存在"):
        backup_services.restore(empty_target, tmp_path / "missing.dump")
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    with pytest.raises(BackupError, match="不是 lims 备份文件"):
        backup_services.restore(empty_target, junk)
    with pytest.raises(BackupError, match="备份目录不存在"):
        backup_services.backup(url, tmp_path / "no-such-dir" / "x.dump")
    # A backup of the other engine is refused by name.
    other = tmp_path / "other"
    if ENGINE == "sqlite":
        other.write_bytes(backup_services.PG_MAGIC + b"\x01\x0e" + b"\0" * 64)
        with pytest.raises(BackupError, match="来自 PostgreSQL"):
            backup_services.restore(empty_target, other)
    else:
        import sqlite3

        sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
        with pytest.raises(BackupError, match="来自 SQLite"):
            backup_services.restore(empty_target, other)


@pytest.mark.postgres_only
@pytest.mark.skipif(ENGINE != "postgresql", reason="pg_dump applies to PostgreSQL")
def test_pg_tools_match_the_server_version(app, tmp_path, monkeypatch):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    major = backup_services.server_major(url)
    tool = backup_services.pg_tool("pg_dump", major)
    assert shutil.which(tool) or tool.startswith("/")
    # A pg_dump of another major version is refused with a message saying what to install.
    fake = tmp_path / "bin"
    fake.mkdir()
    script = fake / "pg_dump"
    script.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    with pytest.raises(BackupError, match=f"postgresql-client-{major + 1}"):
        backup_services.pg_tool("pg_dump", major + 1)


def test_broken_archive_is_refused_before_the_data_is_touched(app, lab_day, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    archive = tmp_path / "full.dump"
    backup_services.backup(url, archive)
    broken = tmp_path / "broken.dump"
    broken.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    db.session.remove()
    db.engine.dispose()
    with pytest.raises(BackupError, match="损坏|失败"):
        backup_services.restore(url, broken, force=True)
    assert sorted(db.session.scalars(sa.select(Sample.number))) == sorted(lab_day)
    assert verify_chain().intact
