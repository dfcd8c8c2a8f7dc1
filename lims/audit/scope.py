"""Which organisation owns an audited record, so that its history is shown only to those who
may read that organisation's records (lims.users.access.authorize with VIEW_AUDIT).

The owner is found from the record itself: its own organisation column, or the record it
belongs to (a result's test, a test's sample, a signature's result …).  A record whose owner
cannot be found (removed, or not owned by any lab) is shown only to the prefecture.
"""

from __future__ import annotations

import sqlalchemy as sa

from lims.core.validation import record_id as database_id
from lims.extensions import db

# Columns naming the owning organisation, most specific first.
_ORG_COLUMNS = ("lab_org_id", "holder_org_id", "assigned_org_id", "registered_org_id",
                "org_id")
# Relationships leading to the record a row belongs to.
_PARENTS = ("sample_test", "result", "report", "sample", "instrument", "user", "batch",
            "station", "market")


def _model_for(table_name: str):
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table_name:
            return mapper.class_
    return None


def _owner_of(obj: object, depth: int = 0) -> int | None:
    for name in _ORG_COLUMNS:
        value = getattr(obj, name, None)
        if isinstance(value, int):
            return value
    if isinstance(getattr(obj, "tier", None), str) and hasattr(obj, "region_id"):
        return obj.id  # an organisation owns itself
    if depth >= 3:
        return None
    for name in _PARENTS:
        parent = getattr(obj, name, None)
        if parent is not None and not isinstance(parent, str | int):
            owner = _owner_of(parent, depth + 1)
            if owner is not None:
                return owner
    return None


def record_owner(table_name: str, record_id: str) -> int | None:
    """The id of the organisation owning the record, or None when it cannot be told."""
    model = _model_for(table_name)
    if model is None:
        return None
    keys = model.__mapper__.primary_key
    parts = str(record_id).split("/")
    if len(parts) != len(keys):
        return None
    ident = []
    for part, key in zip(parts, keys, strict=True):
        if isinstance(key.type, sa.Integer):
            number = database_id(part)
            if number is None:
                return None  # not an id the database can hold: no such record
            ident.append(number)
        else:
            ident.append(part)
    obj = db.session.get(model, tuple(ident) if len(ident) > 1 else ident[0])
    return None if obj is None else _owner_of(obj)
