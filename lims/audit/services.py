"""Reading and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from lims.audit.chain import GENESIS, row_hash
from lims.audit.models import AuditAnchor, AuditEntry
from lims.extensions import db


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None


def _entries(batch: int = 5000) -> Iterator[dict]:
    """Rows as stored, read with Core so that no cached ORM object hides an edit."""
    table = AuditEntry.__table__
    last_id = 0
    while True:
        chunk = db.session.execute(
            sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).mappings().all()
        if not chunk:
            return
        yield from chunk
        last_id = chunk[-1]["id"]


def verify_chain() -> ChainReport:
    """Walk the chain from the first row; report the first row that does not fit."""
    previous = GENESIS
    checked = 0
    last_id = None
    for entry in _entries():
        if entry["prev_hash"] != previous:
            return ChainReport(False, checked, entry["id"],
                               "prev_hash does not match the previous row "
                               "(a row was removed, inserted or reordered)")
        if row_hash(entry) != entry["row_hash"]:
            return ChainReport(False, checked, entry["id"], "row content does not match its hash")
        previous = entry["row_hash"]
        last_id = entry["id"]
        checked += 1
    anchor = db.session.execute(sa.select(AuditAnchor.__table__)
                                .where(AuditAnchor.__table__.c.id == 1)).mappings().first()
    if anchor is None:
        if checked:
            return ChainReport(False, checked, None,
                               "the chain's head record (audit_anchor) is missing")
        return ChainReport(True, checked)
    if anchor["row_count"] != checked or anchor["last_hash"] != previous:
        return ChainReport(False, checked, last_id if checked else None,
                           f"the chain ends at row {last_id if checked else 0} but its head "
                           f"record counts {anchor['row_count']} rows ending in hash "
                           f"{anchor['last_hash'][:12]}…: rows were removed from the end "
                           "(or the head record was altered)")
    return ChainReport(True, checked)


def history(table_name: str, record_id: str) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.table_name == table_name, AuditEntry.record_id == str(record_id))
        .order_by(AuditEntry.id)
    ))
