"""Upload a reference-data file, then watch its import: thin views over services."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.core.jobs import JobError, job_status
from lims.core.permissions import require
from lims.extensions import db
from lims.imports import services
from lims.imports.forms import UploadForm
from lims.imports.models import ImportState, ImportUpload
from lims.users.roles import Permission

bp = Blueprint("imports", __name__, url_prefix="/imports")

FINISHED = (ImportState.DONE, ImportState.REFUSED, ImportState.FAILED)


@bp.app_context_processor
def _labels():
    return {"import_kind_zh": services.KIND_ZH, "import_state_zh": services.STATE_ZH}


@bp.route("/", methods=["GET", "POST"])
@require(Permission.MANAGE_LIMITS)
def index():
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        try:
            upload = services.store_upload(
                form.kind.data, getattr(storage, "filename", "") or "",
                storage.read() if storage else b"", current_user, form.standard.data)
        except services.UploadError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            services.start(upload)
            return redirect(url_for("imports.detail", upload_id=upload.id))
    return render_template("imports/index.html", form=form, uploads=services.recent_uploads())


def _upload_or_404(upload_id: int) -> ImportUpload:
    upload = db.session.get(ImportUpload, upload_id)
    if upload is None:
        abort(404)
    return upload


def _status(upload: ImportUpload) -> dict:
    """The upload row, completed from the job when the job crashed before recording."""
    job = None
    if upload.job_id and upload.state not in FINISHED:
        try:
            job = job_status(upload.job_id)
        except JobError:
            job = None
        if job is not None and job.state == "failed":
            services.mark_failed(upload, job.error or _("the import job failed"))
    progress = (job.progress if job is not None and job.progress else None) or {
        "done": upload.progress_done, "total": upload.progress_total}
    return {"id": upload.id, "state": upload.state.value,
            "state_label": services.STATE_ZH[upload.state],
            "finished": upload.state in FINISHED, "progress": progress,
            "message": upload.message}


@bp.get("/<int:upload_id>")
@require(Permission.MANAGE_LIMITS)
def detail(upload_id: int):
    upload = _upload_or_404(upload_id)
    return render_template("imports/detail.html", upload=upload, status=_status(upload))


@bp.get("/<int:upload_id>/status.json")
@require(Permission.MANAGE_LIMITS)
def status(upload_id: int):
    return jsonify(_status(_upload_or_404(upload_id)))
