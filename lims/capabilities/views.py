"""The capabilities each lab declares."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lims.capabilities import services
from lims.capabilities.models import LabCapability
from lims.core.permissions import require
from lims.extensions import db
from lims.orgs.models import Organization
from lims.users.roles import Permission

bp = Blueprint("capabilities", __name__, url_prefix="/capabilities")


@bp.get("/")
@login_required
def index():
    labs = [o for o in db.session.scalars(sa.select(Organization).order_by(Organization.code))
            if o.is_lab]
    code = request.args.get("org") or (labs[0].code if labs else None)
    lab = next((o for o in labs if o.code == code), None)
    rows = [] if lab is None else db.session.scalars(
        sa.select(LabCapability).where(LabCapability.org_id == lab.id)
        .order_by(LabCapability.analyte_key, LabCapability.id).limit(2000)).all()
    return render_template("capabilities/index.html", labs=labs, lab=lab, rows=rows,
                           can_edit=current_user.can(Permission.MANAGE_LIMITS))


@bp.post("/<int:capability_id>/edit")
@require(Permission.MANAGE_LIMITS)
def edit(capability_id: int):
    capability = db.session.get(LabCapability, capability_id) or abort(404)
    changes = {name: request.form.get(name) for name in services.EDITABLE
               if name in request.form}
    try:
        changed = services.edit_capability(capability, current_user, changes,
                                           request.form.get("reason", ""))
    except services.CapabilityImportError as exc:
        db.session.rollback()
        flash("；".join(exc.errors), "error")
    else:
        db.session.commit()
        flash(_("Capability changed: %(fields)s", fields="、".join(changed) or "—"), "success")
    return redirect(url_for("capabilities.index", org=capability.org.code))


@bp.post("/<int:capability_id>/withdraw")
@require(Permission.MANAGE_LIMITS)
def withdraw(capability_id: int):
    capability = db.session.get(LabCapability, capability_id) or abort(404)
    try:
        services.withdraw_capability(capability, current_user, request.form.get("reason", ""))
    except services.CapabilityImportError as exc:
        db.session.rollback()
        flash("；".join(exc.errors), "error")
    else:
        db.session.commit()
        flash(_("Capability withdrawn."), "success")
    return redirect(url_for("capabilities.index", org=capability.org.code))
