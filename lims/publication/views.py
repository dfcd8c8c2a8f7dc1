"""Publishing notices (authorised users) and the public 抽检信息公告 pages and downloads."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.core.permissions import require
from lims.extensions import db
from lims.publication import services
from lims.publication.models import PublicNotice
from lims.users.roles import Permission

bp = Blueprint("publication", __name__, url_prefix="/publication")
public_bp = Blueprint("public_notices", __name__, url_prefix="/public/notices")

MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.route("/", methods=["GET", "POST"])
@require(Permission.APPROVE_REPORT)
def index():
    if request.method == "POST":
        numbers = request.form.get("samples", "").replace("，", ",").replace("\n", ",")
        replaces = None
        if request.form.get("replaces"):
            replaces = db.session.get(PublicNotice, request.form.get("replaces", type=int))
        try:
            notice = services.publish(current_user, numbers.split(","),
                                      title=request.form.get("title") or None,
                                      replaces=replaces, reason=request.form.get("reason"))
        except services.PublicationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Notice %(number)s published.", number=notice.number), "success")
            return redirect(url_for("public_notices.detail", notice_id=notice.id))
    return render_template("publication/index.html", notices=services.notices(),
                           replaced_by=services.replaced_by)


@public_bp.get("/")
def public_index():
    return render_template("publication/public_index.html", notices=services.notices(),
                           replaced_by=services.replaced_by)


@public_bp.get("/<int:notice_id>")
def detail(notice_id: int):
    notice = (db.session.get(PublicNotice, notice_id) if notice_id < 2**31 else None) \
        or abort(404)
    return render_template("publication/detail.html", notice=notice,
                           sheets=services.sheets(notice),
                           replaced_by=services.replaced_by(notice))


@public_bp.get("/<int:notice_id>.<fmt>")
def download(notice_id: int, fmt: str):
    notice = (db.session.get(PublicNotice, notice_id) if notice_id < 2**31 else None) \
        or abort(404)
    if fmt not in MIME:
        abort(404)
    body = services.to_csv(notice) if fmt == "csv" else services.to_xlsx(notice)
    name = f"notice-{notice.id}.{fmt}"
    return Response(body, mimetype=MIME[fmt],
                    headers={"Content-Disposition": f"attachment; filename={name}"})
