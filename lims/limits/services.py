"""The database-backed limit library: loading, importing a standard, and the cached index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import sqlalchemy as sa

from lims.core.localtime import local_today
from lims.extensions import db
from lims.limits.library import (
    LimitIndex,
    Standard,
    limit_files,
    load_shipped_library,
)
from lims.limits.models import LimitRowRecord, LimitStandard
from lims.limits.rows_io import (
    LIMIT_COLUMNS,
    ImportRefused,
    RowError,
    load_standards,
    read_table,
    rows_from_records,
)

_STANDARD_FIELDS = [f.name for f in fields(Standard)]


@dataclass(frozen=True)
class ImportSummary:
    standards: tuple[str, ...]
    rows: int


def _standard_from_record(record: LimitStandard) -> Standard:
    return Standard(**{name: getattr(record, name) for name in _STANDARD_FIELDS})


def _db_standards() -> dict[str, Standard]:
    return {s.code: _standard_from_record(s)
            for s in db.session.scalars(sa.select(LimitStandard))}


def _upsert_standard(standard: Standard) -> None:
    record = db.session.scalar(sa.select(LimitStandard).where(LimitStandard.code == standard.code))
    if record is None:
        record = LimitStandard(code=standard.code)
        db.session.add(record)
    for name in _STANDARD_FIELDS:
        value = getattr(standard, name)
        if getattr(record, name) != value:
            setattr(record, name, value)


def _replace_rows(standard_code: str, entries: list[tuple[dict, str]]) -> int:
    """Replace the rows of one standard by ``entries`` (record, file name)."""
    for old in db.session.scalars(
            sa.select(LimitRowRecord).where(LimitRowRecord.standard == standard_code)):
        db.session.delete(old)
    db.session.flush()
    for record, file_name in entries:
        values = {c: (record.get(c) or "").strip() for c in LIMIT_COLUMNS}
        db.session.add(LimitRowRecord(line=int(record.get("__row__") or 0), file=file_name,
                                      **values))
    return len(entries)


def import_limits(path: Path | str, *, standards_path: Path | str | None = None,
                  progress: Callable[[int, int], None] | None = None) -> ImportSummary:
    """Add or update the standards whose rows are in ``path`` (CSV or XLSX).

    Every row is validated first; a file with any bad row raises :class:`ImportRefused`
    listing each bad row and nothing is written.  The rows of each standard in the file
    replace that standard's rows (an edition is updated whole, never merged row by row).
    ``progress(done, total)`` counts rows: validated (first half), then written.
    """
    records = read_table(path)
    report = progress or (lambda done, total: None)
    report(0, 2 * len(records))
    known = {**load_shipped_library().standards, **_db_standards()}
    new_standards: dict[str, Standard] = {}
    if standards_path is not None:
        new_standards = {s.code: s for s in load_standards(standards_path)}
        known.update(new_standards)
    graph = load_shipped_library().graph
    rows_from_records(records, standards=known, graph=graph, file=Path(path).name)
    report(len(records), 2 * len(records))
    codes = sorted({(r.get("standard") or "").strip() for r in records})
    for code in codes:
        if code in new_standards or code not in _db_standards():
            _upsert_standard(known[code])
    db.session.flush()
    total = 0
    for code in codes:
        total += _replace_rows(code, [(r, Path(path).name) for r in records
                                      if r["standard"].strip() == code])
        report(len(records) + total, 2 * len(records))
    db.session.flush()
    _index_cache.clear()
    return ImportSummary(tuple(codes), total)


def load_shipped_limits() -> ImportSummary:
    """Put the library shipped with lims into the database (used by the demo and setup)."""
    from importlib import resources

    shipped = load_shipped_library()
    for standard in shipped.standards.values():
        _upsert_standard(standard)
    db.session.flush()
    # A standard's rows may come from several files (GB 2763 rows checked against the text
    # and rows from knowledge): gather them first, then replace each standard once.
    by_standard: dict[str, list[tuple[dict, str]]] = {}
    root = resources.files("lims.limits").joinpath("data")
    with resources.as_file(root) as base:
        for path in limit_files(base):
            for record in read_table(path):
                by_standard.setdefault(record["standard"], []).append((record, path.name))
    total = 0
    for code, entries in by_standard.items():
        total += _replace_rows(code, entries)
    codes = list(by_standard)
    db.session.flush()
    _index_cache.clear()
    return ImportSummary(tuple(codes), total)


_index_cache: dict[tuple, LimitIndex] = {}


def _library_signature() -> tuple:
    # Cheap to ask on every lookup batch; changes whenever any row or standard changes.
    rows = db.session.execute(sa.select(
        sa.func.count(LimitRowRecord.id), sa.func.max(LimitRowRecord.id),
        sa.func.max(LimitRowRecord.updated_at))).one()
    standards = db.session.execute(sa.select(
        sa.func.count(LimitStandard.id), sa.func.max(LimitStandard.updated_at))).one()
    return (*rows, *standards)


def library_index() -> LimitIndex:
    """The index over the database library (rebuilt only when the library changed).

    An empty database library falls back to the shipped one, so a fresh install judges.
    """
    signature = _library_signature()
    if signature[0] == 0:
        return load_shipped_library()
    cached = _index_cache.get(signature)
    if cached is not None:
        return cached
    shipped = load_shipped_library()
    standards = _db_standards()
    records = []
    for row in db.session.scalars(sa.select(LimitRowRecord).order_by(LimitRowRecord.id)):
        record = {c: getattr(row, c) for c in LIMIT_COLUMNS}
        record["__row__"] = str(row.line)
        records.append(record)
    rows = rows_from_records(records, standards=standards, graph=shipped.graph, file="db")
    categories = [shipped.graph.nodes[c] for c in shipped.graph.nodes]
    # Categories, 细类 placements, the additive register, groups and residue definitions
    # are the shipped ones: only standards and their rows live in the database.
    index = LimitIndex(
        standards.values(), rows, categories, shipped.analytes.values(),
        placements=shipped.graph.placements.values(),
        additives=shipped.additives.values(),
        groups=[m for members in shipped.groups.values() for m in members],
        residues=[p for parts in shipped.residues.values() for p in parts],
    )  # fmt: skip
    _index_cache.clear()
    _index_cache[signature] = index
    return index


def today() -> dt.date:
    return local_today()


__all__ = ["ImportRefused", "ImportSummary", "RowError", "import_limits", "library_index",
           "load_shipped_limits"]


def load_shipped_limits_once() -> None:
    """Demo step: load the shipped library unless the database already holds one."""
    if not db.session.scalar(sa.select(sa.func.count(LimitStandard.id))):
        load_shipped_limits()
