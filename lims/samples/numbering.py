"""Sample numbers from a configurable pattern, unique under concurrent registration."""

from __future__ import annotations

import datetime as dt
import string

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lims.extensions import db
from lims.samples.models import SampleSequence

_ALLOWED_FIELDS = {"lab", "yyyy", "yy", "mm", "seq"}


def validate_pattern(pattern: str) -> None:
    fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
    unknown = fields - _ALLOWED_FIELDS
    if unknown or "seq" not in fields:
        raise ValueError(f"样品编号规则无效：{pattern}（可用字段 {sorted(_ALLOWED_FIELDS)}，须含 seq）")


def next_value(key: str) -> int:
    """Atomically take the next value of a named counter in the current transaction.

    One UPDATE … RETURNING is a row-level lock on PostgreSQL: concurrent receivers wait for
    each other's commit and never see the same value. SQLite serialises writers anyway.
    """
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(SampleSequence).values(key=key, value=0)
                       .on_conflict_do_nothing(index_elements=["key"]))
    return db.session.execute(
        sa.update(SampleSequence).where(SampleSequence.key == key)
        .values(value=SampleSequence.value + 1).returning(SampleSequence.value)
    ).scalar_one()


def next_sample_number(pattern: str, lab_code: str, on: dt.date) -> str:
    validate_pattern(pattern)
    key_fields = {"lab": lab_code, "yyyy": f"{on.year:04d}", "yy": f"{on.year % 100:02d}",
                  "mm": f"{on.month:02d}"}
    # The counter restarts whenever the fixed part of the number changes (e.g. each year).
    prefix = pattern.split("{seq")[0].format(**key_fields)
    seq = next_value(f"sample:{prefix}")
    return pattern.format(seq=seq, **key_fields)
