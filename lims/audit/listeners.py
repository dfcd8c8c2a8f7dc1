"""Writes audit rows in the same transaction as the change they record."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from lims.audit.chain import GENESIS, row_hash
from lims.audit.context import current_actor, current_reason
from lims.audit.models import AuditAnchor, Audited, AuditEntry
from lims.core.db import utcnow

# Any constant works; it only has to be the same for every writer of the chain.
_CHAIN_LOCK_KEY = 7_170_001


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _columns(obj: Audited) -> list[str]:
    mapper = inspect(obj).mapper
    excluded = obj.__audit_exclude__
    return [attr.key for attr in mapper.column_attrs if attr.key not in excluded]


def _record_id(obj: object) -> str:
    # Pending objects have no identity key yet inside the flush; their columns do.
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return "/".join(str(part) for part in values)


def _snapshot(obj: Audited) -> str:
    return json.dumps({k: _text(getattr(obj, k)) for k in _columns(obj)},
                      ensure_ascii=False, sort_keys=True)


def _changes(obj: Audited) -> list[tuple[str, str | None, str | None]]:
    state = inspect(obj)
    changes = []
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if _text(old) != _text(new):
            changes.append((key, _text(old), _text(new)))
    return changes


def _pending_rows(session: Session) -> list[dict]:
    rows: list[dict] = []
    for obj in session.new:
        if isinstance(obj, Audited):
            rows.append(dict(action="create", table_name=obj.__tablename__,
                             record_id=_record_id(obj), field=None, old_value=None,
                             new_value=_snapshot(obj)))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            for field, old, new in _changes(obj):
                rows.append(dict(action="update", table_name=obj.__tablename__,
                                 record_id=_record_id(obj), field=field,
                                 old_value=old, new_value=new))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            rows.append(dict(action="delete", table_name=obj.__tablename__,
                             record_id=_record_id(obj), field=None,
                             old_value=_snapshot(obj), new_value=None))
    return rows


def _last_hash(connection: sa.Connection) -> str:
    if connection.dialect.name == "postgresql":
        # Serialise chain writers: held until this transaction commits or rolls back.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    last = connection.execute(
        sa.select(AuditEntry.row_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar()
    return last or GENESIS


def _after_flush(session: Session, flush_context) -> None:
    rows = _pending_rows(session)
    if not rows:
        return
    _append(session.connection(), rows)


def record_change(session: Session, table_name: str, record_id: object, field: str,
                  old: object, new: object) -> None:
    """Audit a change made by a plain SQL statement (which the ORM listener cannot see),
    e.g. an account locked by the atomic failed-login counter; same transaction, same chain."""
    _append(session.connection(), [dict(action="update", table_name=table_name,
                                        record_id=str(record_id), field=field,
                                        old_value=_text(old), new_value=_text(new))])


def _append(connection: sa.Connection, rows: list[dict]) -> None:
    actor = current_actor()
    reason = current_reason()
    now = utcnow()
    previous = _last_hash(connection)
    for row in rows:
        row.update(at=now, actor_id=actor.id, actor=actor.name, reason=reason,
                   prev_hash=previous)
        row["row_hash"] = previous = row_hash(row)
    connection.execute(sa.insert(AuditEntry), rows)
    _move_anchor(connection, previous, len(rows))


def _move_anchor(connection: sa.Connection, head: str, added: int) -> None:
    """Advance the chain's head (same transaction, serialised like the rows themselves)."""
    anchor = AuditAnchor.__table__
    moved = connection.execute(
        sa.update(anchor).where(anchor.c.id == 1)
        .values(last_hash=head, row_count=anchor.c.row_count + added))
    if moved.rowcount == 0:
        # first rows ever (or a database from before the anchor): count what is there
        total = connection.execute(sa.select(sa.func.count()).select_from(
            AuditEntry.__table__)).scalar_one()
        connection.execute(sa.insert(anchor).values(id=1, last_hash=head, row_count=total))


def install() -> None:
    """Register the listener once for every session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
