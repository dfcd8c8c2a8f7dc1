"""Alert pages: list, one alert with its evidence and actions, outside-notice import."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import lims.alerts.hooks  # noqa: F401 - connects the approval signal
from lims.alerts import services
from lims.alerts.models import Alert, AlertState, NoticeImport
from lims.businesses.services import can_manage_network
from lims.core.permissions import require
from lims.extensions import db
from lims.limits.rows_io import ImportRefused
from lims.users.models import User
from lims.users.roles import Permission

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


def _manager_only() -> None:
    if not can_manage_network(current_user):
        abort(403)


@bp.get("/")
@require(Permission.VIEW_STATS)
def index():
    state = request.args.get("state") or None
    if state and state not in {s.value for s in AlertState}:
        state = None
    return render_template("alerts/index.html", alerts=services.list_alerts(state), state=state,
                           kinds=services.KIND_ZH, levels=services.LEVEL_ZH,
                           states=services.STATE_ZH, manage=can_manage_network(current_user))


def _alert_or_404(alert_id: int) -> Alert:
    return db.session.get(Alert, alert_id) or abort(404)


@bp.get("/<int:alert_id>")
@require(Permission.VIEW_STATS)
def detail(alert_id: int):
    alert = _alert_or_404(alert_id)
    users = list(db.session.scalars(sa.select(User).where(User.active.is_(True))
                                    .order_by(User.username))) if can_manage_network(
        current_user) else []
    return render_template("alerts/detail.html", alert=alert, kinds=services.KIND_ZH,
                           levels=services.LEVEL_ZH, states=services.STATE_ZH,
                           tasks=services.targeted_tasks(alert), users=users,
                           manage=can_manage_network(current_user))


@bp.post("/<int:alert_id>/<action>")
@require(Permission.VIEW_STATS)
def act(alert_id: int, action: str):
    _manager_only()
    alert = _alert_or_404(alert_id)
    try:
        if action == "acknowledge":
            services.acknowledge(alert, current_user)
            message = _("Alert acknowledged.")
        elif action == "close":
            services.close(alert, current_user, request.form.get("note", ""))
            message = _("Alert closed.")
        elif action == "owner":
            owner = db.session.get(User, request.form.get("owner", type=int) or 0)
            if owner is None:
                raise services.AlertError("请选择负责人")
            services.assign_owner(alert, owner)
            message = _("Owner set.")
        elif action == "target":
            tasks = services.to_targeted_tasks(alert, current_user)
            message = _("%(n)s targeted sampling tasks added to next month's plan.", n=len(tasks))
        else:
            abort(404)
        db.session.commit()
    except services.AlertError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(message, "success")
    return redirect(url_for("alerts.detail", alert_id=alert.id))


@bp.post("/run")
@require(Permission.VIEW_STATS)
def run_now():
    _manager_only()
    new = services.run()
    db.session.commit()
    flash(_("%(n)s new alerts.", n=len(new)), "success")
    return redirect(url_for("alerts.index"))


@bp.route("/notices", methods=["GET", "POST"])
@require(Permission.VIEW_STATS)
def notices():
    errors: list[str] = []
    if request.method == "POST":
        _manager_only()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a file to upload."), "error")
        else:
            try:
                record, new = services.import_notice(upload.read(), upload.filename,
                                                     current_user)
                db.session.commit()
            except ImportRefused as exc:
                db.session.rollback()
                errors = [str(e) for e in exc.errors]
                flash(_("The file was refused; nothing was imported."), "error")
            except services.AlertError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                flash(_("%(rows)s rows imported, %(n)s alerts raised.", rows=record.row_count,
                        n=len(new)), "success")
                return redirect(url_for("alerts.notice", import_id=record.id))
    return render_template("alerts/notices.html", imports=services.recent_imports(),
                           errors=errors, manage=can_manage_network(current_user)), \
        (422 if errors else 200)


@bp.get("/notices/<int:import_id>")
@require(Permission.VIEW_STATS)
def notice(import_id: int):
    record = db.session.get(NoticeImport, import_id) or abort(404)
    return render_template("alerts/notice.html", record=record,
                           rows=services.notice_rows(record.id))


def _business_alerts(business_id: int) -> list[Alert]:
    return list(db.session.scalars(sa.select(Alert).where(Alert.business_id == business_id)
                                   .order_by(Alert.raised_at.desc()).limit(50)))


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"business_alerts": _business_alerts, "alert_summary": services.open_counts}
