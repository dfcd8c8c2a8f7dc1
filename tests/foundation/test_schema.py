"""The migrations build exactly the schema the models describe, on both engines."""

import uuid

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lims.extensions import db
from tests.conftest import ENGINE, PG_ADMIN_URL, _migrate


def test_migrated_schema_matches_models(app, tmp_path):
    if ENGINE == "postgresql":
        name = f"lims_schema_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    else:
        url = f"sqlite:///{tmp_path / 'migrated-only.db'}"
    try:
        _migrate(url, tmp_path, models_too=False)
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        engine.dispose()
        assert differences == []
    finally:
        if ENGINE == "postgresql":
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_measurements_are_not_floats(app):
    """No model column is a float: measurements are exact decimals kept as text."""
    floats = [f"{t.name}.{c.name}" for t in db.metadata.tables.values() for c in t.columns
              if isinstance(c.type, sa.Float)]
    assert floats == []
