"""Store an upload, then import it in a job (RQ when Redis is configured, inline otherwise).

The job writes its progress to the upload row as it goes (any web worker can read it, and it
survives the job), and ends in DONE, REFUSED (bad rows listed, nothing written) or FAILED.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from lims.capabilities.services import CapabilityImportError, import_capabilities
from lims.core.db import utcnow
from lims.core.jobs import enqueue, set_progress
from lims.extensions import db
from lims.foods.item_list import ItemListError
from lims.foods.services import import_local_items
from lims.imports.models import ImportKind, ImportState, ImportUpload
from lims.limits.rows_io import ImportRefused
from lims.limits.services import import_limits
from lims.users.models import User

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SUFFIXES = {
    ImportKind.LIMITS: (".csv", ".xlsx"),
    ImportKind.CAPABILITIES: (".csv",),
    ImportKind.LOCAL_ITEMS: (".csv", ".xlsx"),
}
KIND_ZH = {
    ImportKind.LIMITS: "限量（标准限量行）",
    ImportKind.CAPABILITIES: "检验能力清单",
    ImportKind.LOCAL_ITEMS: "地方标准检验项目清单",
}
STATE_ZH = {
    ImportState.QUEUED: "排队中", ImportState.RUNNING: "导入中", ImportState.DONE: "已完成",
    ImportState.REFUSED: "已拒绝（未导入任何数据）", ImportState.FAILED: "失败（未导入任何数据）",
}
# Refusals whose message lists the bad rows for the user.
REFUSALS = (ImportRefused, CapabilityImportError, ItemListError, ValueError)
# How often (rows) progress is written: often enough for a bar, rarely enough to be cheap.
PROGRESS_EVERY = 200


class UploadError(ValueError):
    """The upload itself is unusable (kind, name, size); nothing was stored."""


@dataclass(frozen=True)
class Outcome:
    state: ImportState
    message: str


def store_upload(kind: str, filename: str, content: bytes, user: User,
                 standard: str | None = None) -> ImportUpload:
    """Check and keep the file; the caller commits, then calls :func:`start`."""
    try:
        kind_ = ImportKind(kind)
    except ValueError:
        raise UploadError(f"未知的导入类型：{kind}") from None
    name = Path(filename or "").name
    if not name:
        raise UploadError("请选择要上传的文件")
    if Path(name).suffix.lower() not in SUFFIXES[kind_]:
        raise UploadError(f"{KIND_ZH[kind_]}只接受 {'、'.join(SUFFIXES[kind_])} 文件：{name}")
    if not content:
        raise UploadError(f"文件是空的：{name}")
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadError(f"文件过大（{len(content) // 1024} KB），上限 "
                          f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    upload = ImportUpload(kind=kind_, filename=name[:200], content=content,
                          sha256=hashlib.sha256(content).hexdigest(),
                          standard=(standard or "").strip() or None, uploaded_by=user)
    db.session.add(upload)
    db.session.flush()
    return upload


def start(upload: ImportUpload) -> ImportUpload:
    """Queue the import (the upload must be committed: the job sees committed rows only)."""
    handle = enqueue("lims.imports.services.run_import", upload.id)
    # Inline, the job has already run and committed; on RQ it may be running now.
    db.session.refresh(upload)
    if upload.job_id is None:
        db.session.execute(sa.update(ImportUpload).where(ImportUpload.id == upload.id)
                           .values(job_id=handle.id))
        db.session.commit()
        db.session.refresh(upload)
    return upload


class _ProgressWriter:
    """progress(done, total) for an import job; remembers the last figures for the end."""

    def __init__(self, upload_id: int) -> None:
        self.done, self.total = 0, None
        self._write = _progress_writer(upload_id)

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        self._write(done, total)


def _progress_writer(upload_id: int) -> Callable[[int, int], None]:
    """Progress goes to the upload row in its own short transaction, so a page polling from
    another worker sees it while the import's own transaction is still open."""
    engine = db.engine
    # SQLite has one writer: a second connection would wait on the import's own transaction.
    # There the job's progress is in RQ's job meta only (and inline runs end before any page).
    own_connection = engine.dialect.name != "sqlite"
    last = {"done": -PROGRESS_EVERY}

    def report(done: int, total: int) -> None:
        if done - last["done"] < PROGRESS_EVERY and done != total:
            return
        last["done"] = done
        set_progress(done, total)
        if not own_connection:
            return
        with engine.begin() as conn:
            conn.execute(sa.update(ImportUpload.__table__)
                         .where(ImportUpload.__table__.c.id == upload_id)
                         .values(progress_done=done, progress_total=total))

    return report


def import_file(kind: ImportKind, path: Path, progress: Callable[[int, int], None],
                standard: str | None = None) -> str:
    """Import one file with the owning package's service; the summary for the user.
    Raises one of :data:`REFUSALS` (listing every bad row) and writes nothing then."""
    if kind is ImportKind.LIMITS:
        summary = import_limits(path, progress=progress)
        return f"导入 {len(summary.standards)} 项标准的 {summary.rows} 条限量：{'、'.join(summary.standards)}"
    if kind is ImportKind.CAPABILITIES:
        return f"导入检验能力 {import_capabilities(path, progress=progress)} 条"
    added = import_local_items(path, standard=standard, progress=progress)
    return f"新增地方标准检验项目 {added} 项"


def run_import(upload_id: int) -> dict:
    """The job: import the stored file whole, or nothing of it."""
    upload = db.session.get(ImportUpload, upload_id)
    if upload is None:
        raise UploadError(f"未找到上传记录 {upload_id}")
    db.session.execute(sa.update(ImportUpload).where(ImportUpload.id == upload_id)
                       .values(state=ImportState.RUNNING))
    db.session.commit()
    upload = db.session.get(ImportUpload, upload_id)
    progress = _ProgressWriter(upload_id)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / upload.filename
        path.write_bytes(upload.content)
        try:
            with db.session.begin_nested():
                message = import_file(upload.kind, path, progress, upload.standard)
            outcome = Outcome(ImportState.DONE, message)
        except REFUSALS as exc:
            outcome = Outcome(ImportState.REFUSED, str(exc))
    upload = db.session.get(ImportUpload, upload_id)
    upload.state, upload.message, upload.finished_at = outcome.state, outcome.message, utcnow()
    upload.progress_done, upload.progress_total = progress.done, progress.total
    db.session.commit()
    return {"state": outcome.state.value, "message": outcome.message}


def mark_failed(upload: ImportUpload, error: str) -> None:
    """A job that crashed (seen by the status page): record it so the page stops waiting."""
    upload.state, upload.message, upload.finished_at = ImportState.FAILED, error, utcnow()
    db.session.commit()


def recent_uploads(limit: int = 30) -> list[ImportUpload]:
    return list(db.session.scalars(sa.select(ImportUpload).order_by(ImportUpload.id.desc())
                                   .limit(limit)))
