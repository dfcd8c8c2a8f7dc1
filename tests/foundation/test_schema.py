"""The migrations build exactly the schema the models describe, on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lims.extensions import db


def test_migrated_schema_matches_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_measurements_are_not_floats(app):
    """No model column is a float: measurements are exact decimals kept as text."""
    import sqlalchemy as sa

    floats = [f"{t.name}.{c.name}" for t in db.metadata.tables.values() for c in t.columns
              if isinstance(c.type, sa.Float)]
    assert floats == []
