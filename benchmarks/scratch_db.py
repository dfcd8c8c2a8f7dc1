"""A throw-away database for a benchmark run: a SQLite file, or a fresh PostgreSQL database
created from ``LIMS_TEST_PG_ADMIN_URL`` and dropped by the returned callable."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

PG_ADMIN = os.environ.get("LIMS_TEST_PG_ADMIN_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def scratch_database(engine: str = "postgresql",
                     tmp: Path | None = None) -> tuple[str, Callable[[], None]]:
    """(database URL, drop) for a new, empty database of the given engine."""
    if engine == "sqlite":
        folder = tmp or Path(tempfile.mkdtemp())
        return f"sqlite:///{folder / 'bench.db'}", lambda: None
    name = f"lims_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(False), drop
