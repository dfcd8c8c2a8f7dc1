"""The capabilities each lab declares."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import login_required

from lims.capabilities.models import LabCapability
from lims.extensions import db
from lims.orgs.models import Organization

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
    return render_template("capabilities/index.html", labs=labs, lab=lab, rows=rows)
