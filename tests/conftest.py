"""Fixtures shared by the suite: an app on a real database, organisations, users.

The engine is chosen by ``LIMS_TEST_DB``: ``sqlite`` (default) or ``postgresql``.  For
PostgreSQL a fresh database is created for the run (from ``LIMS_TEST_PG_ADMIN_URL``) and
dropped at the end.  Every test starts from the migrated schema with no rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lims import create_app
from lims.config import TestConfig
from lims.extensions import db

ENGINE = os.environ.get("LIMS_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "LIMS_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _test_settings(database_url: str, instance: Path) -> dict:
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    settings.update(SQLALCHEMY_DATABASE_URI=database_url, INSTANCE_PATH=instance,
                    SERVER_NAME="lims.test")
    return settings


def _migrate(url: str, instance: Path, *, models_too: bool = True) -> None:
    """Run the migrations; then create tables of models that have no migration yet, so that
    work in progress is testable.  ``test_schema`` migrates a database of its own with
    ``models_too=False`` and fails until every model has its migration."""
    from flask_migrate import upgrade

    app = create_app(_test_settings(url, instance))
    with app.app_context():
        upgrade()
        if models_too:
            db.metadata.create_all(db.engine, checkfirst=True)
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> Iterator[dict]:
    """Migrate once per run; tests then copy (SQLite) or empty (PostgreSQL) the database."""
    base = tmp_path_factory.mktemp("lims")
    if ENGINE == "sqlite":
        template = base / "template.db"
        _migrate(f"sqlite:///{template}", base)
        yield {"engine": "sqlite", "template": template, "base": base}
        return
    if ENGINE != "postgresql":
        raise pytest.UsageError(f"LIMS_TEST_DB must be sqlite or postgresql, not {ENGINE}")
    name = f"lims_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(
        hide_password=False)
    _migrate(url, base)
    yield {"engine": "postgresql", "url": url, "base": base}
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t for t in conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' "
            "AND tablename <> 'alembic_version'")).scalars()]
        if tables:
            # The audit table refuses TRUNCATE by trigger; replica mode skips triggers
            # for this cleanup only (the suite's own superuser connection).
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                 + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    if database_template["engine"] == "sqlite":
        path = tmp_path / "lims.db"
        shutil.copyfile(database_template["template"], path)
        return f"sqlite:///{path}"
    _empty_postgres(database_template["url"])
    return database_template["url"]


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(_test_settings(database_url, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def network(app):
    """The prefecture's regions, labs and stations, as in the demo world."""
    from lims.orgs.services import load_network, org_by_code

    load_network()
    db.session.commit()
    return {code: org_by_code(code) for code in
            ("BZ-LAB", "BL-LAB", "JH-LAB", "WQ-LAB", "ALSK-LAB", "BL-ST01", "JH-ST01")}


PASSWORD = "Bench-test-2026!"


@pytest.fixture
def make_user(app, network):
    from lims.users.roles import Role
    from lims.users.services import create_user

    def make(username: str, org_code: str = "BZ-LAB", roles=(Role.TECHNICIAN,),
             display_name: str | None = None):
        user = create_user(username, org=network[org_code], roles=list(roles),
                           password=PASSWORD, display_name=display_name or username)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    def do_login(username: str, password: str = PASSWORD, follow: bool = False):
        page = client.get("/login")
        token = _csrf_from(page.get_data(as_text=True))
        return client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token}, follow_redirects=follow)

    return do_login


def _csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def csrf_from():
    return _csrf_from


def bearer(user, name: str = "test") -> dict:
    """Headers carrying a fresh API token of ``user`` (committed, as a client would hold it)."""
    from lims.users.services import issue_token

    token = issue_token(user, name=name).token
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token_for():
    return bearer


# --- the reference world: network, sampling rules, capabilities, limits, instruments --------

def _seed_reference_world(url: str, instance: Path) -> None:
    """Everything the demo world has except its users (see lims.core.demo.DEMO_STEPS)."""
    import importlib

    from lims.audit.context import Actor, acting_as
    from lims.core.demo import DEMO_STEPS
    from lims.orgs.services import load_network

    app = create_app(_test_settings(url, instance))
    with app.app_context(), acting_as(Actor(None, "test-seed")):
        load_network()
        for module_name, func in DEMO_STEPS:
            getattr(importlib.import_module(module_name), func)()
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session")
def seeded_template(database_template, tmp_path_factory) -> Iterator[dict]:
    base = tmp_path_factory.mktemp("seeded")
    if database_template["engine"] == "sqlite":
        path = base / "seeded.db"
        shutil.copyfile(database_template["template"], path)
        _seed_reference_world(f"sqlite:///{path}", base)
        yield {"engine": "sqlite", "template": path}
        return
    name = f"lims_seed_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    source = sa.engine.make_url(database_template["url"]).database
    _empty_postgres(database_template["url"])
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    _seed_reference_world(url, base)
    yield {"engine": "postgresql", "name": name, "admin": admin}
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def seeded_url(seeded_template, tmp_path) -> Iterator[str]:
    """A database holding the reference world, private to one test.  A test package opts in
    by overriding ``database_url`` with it (see tests/samples/conftest.py)."""
    if seeded_template["engine"] == "sqlite":
        path = tmp_path / "seeded.db"
        shutil.copyfile(seeded_template["template"], path)
        yield f"sqlite:///{path}"
        return
    name = f"lims_t_{uuid.uuid4().hex[:10]}"
    admin = seeded_template["admin"]
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{seeded_template["name"]}"'))
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

