"""The ``lims`` command: groups, and ``lims db upgrade`` on an empty database."""

import os
import subprocess
import sys
import uuid

import sqlalchemy as sa

from tests.conftest import ENGINE, PG_ADMIN_URL

LIMS = [sys.executable, "-m", "lims.cli"]


def _run(args, env_extra, tmp_path):
    env = {**os.environ, "LIMS_INSTANCE_PATH": str(tmp_path), **env_extra}
    return subprocess.run(LIMS + args, env=env, capture_output=True, text=True, timeout=120)


def test_help_lists_command_groups(tmp_path):
    out = _run(["--help"], {}, tmp_path)
    assert out.returncode == 0, out.stderr
    for group in ("db", "users", "audit", "orgs", "demo", "run"):
        assert f"  {group} " in out.stdout


def test_db_upgrade_on_an_empty_database(tmp_path):
    if ENGINE == "postgresql":
        name = f"lims_cli_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    else:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    try:
        out = _run(["db", "upgrade"], {"LIMS_DATABASE_URL": url}, tmp_path)
        assert out.returncode == 0, out.stderr
        engine = sa.create_engine(url)
        tables = set(sa.inspect(engine).get_table_names())
        engine.dispose()
        assert {"audit_entry", "organization", "user_account", "api_token"} <= tables
    finally:
        if ENGINE == "postgresql":
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
