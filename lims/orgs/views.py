"""The list of organisations of the network."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, render_template
from flask_login import current_user, login_required

from lims.core.api import api_bp, api_login_required
from lims.core.openapi import ErrorModel, documented
from lims.extensions import db
from lims.orgs.api_schemas import OrgOut
from lims.orgs.models import Organization
from lims.users.scoping import can_see_org

bp = Blueprint("orgs", __name__, url_prefix="/orgs")


@bp.get("/")
@login_required
def index():
    orgs = db.session.scalars(sa.select(Organization).order_by(Organization.code)).all()
    visible = [o for o in orgs if can_see_org(current_user, o)]
    return render_template("orgs/index.html", orgs=visible)


def visible_org_or_404(code: str) -> Organization:
    """An organisation the current user may see; others answer 404 (their existence is private)."""
    org = db.session.scalar(sa.select(Organization).where(Organization.code == code))
    if org is None or not can_see_org(current_user, org):
        abort(404)
    return org


@bp.get("/<code>")
@login_required
def detail(code: str):
    return render_template("orgs/detail.html", org=visible_org_or_404(code))


@api_bp.get("/orgs/<code>")
@api_login_required()
@documented("An organisation of the network", responses={200: OrgOut, 404: ErrorModel},
           tags=("orgs",))
def api_detail(code: str):
    org = visible_org_or_404(code)
    return jsonify({"code": org.code, "name": org.name, "tier": org.tier.value,
                    "county": org.region.name, "address": org.address,
                    "population_served": org.population_served})
