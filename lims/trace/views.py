"""Business pages, merge review, a sample's traceability, the 重点食品 share."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.businesses.credit_code import credit_code_error
from lims.businesses.models import Business, BusinessMergeProposal
from lims.businesses.services import KIND_ZH, can_manage_network, open_proposals
from lims.core.localtime import local_today
from lims.core.permissions import require
from lims.extensions import db
from lims.samples import services as sample_services
from lims.trace import services
from lims.users.roles import Permission

bp = Blueprint("trace", __name__, url_prefix="/businesses")


@bp.get("/")
@require(Permission.VIEW)
def index():
    text = request.args.get("q", "")
    return render_template("trace/index.html", rows=services.businesses(text), q=text,
                           kinds=KIND_ZH, proposals=open_proposals(),
                           manage=can_manage_network(current_user))


@bp.get("/<int:business_id>")
@require(Permission.VIEW)
def detail(business_id: int):
    business = db.session.get(Business, business_id) or abort(404)
    if business.merged_into_id:
        return redirect(url_for("trace.detail", business_id=business.merged_into_id))
    code_problem = credit_code_error(business.credit_code) if business.credit_code else None
    return render_template("trace/detail.html", h=services.business_history(business),
                           kinds=KIND_ZH, code_problem=code_problem,
                           manage=can_manage_network(current_user))


@bp.post("/proposals/<int:proposal_id>")
@require(Permission.VIEW)
def review(proposal_id: int):
    if not can_manage_network(current_user):
        abort(403)
    proposal = db.session.get(BusinessMergeProposal, proposal_id) or abort(404)
    note = request.form.get("note", "")
    try:
        if request.form.get("action") == "merge":
            target = services.merge(proposal, current_user, note)
            db.session.commit()
            flash(_("Records merged."), "success")
            return redirect(url_for("trace.detail", business_id=target.id))
        services.reject(proposal, current_user, note)
        db.session.commit()
        flash(_("Kept as separate records."), "success")
    except services.TraceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("trace.index"))


@bp.get("/trace/<number>")
@require(Permission.VIEW)
def sample_trace(number: str):
    sample = sample_services.find_visible(current_user, number)
    if sample is None:
        abort(404)
    return render_template("trace/sample.html", t=services.trace_sample(sample))


@bp.get("/key-foods")
@require(Permission.VIEW)
def key_foods():
    year = request.args.get("year", type=int) or local_today().year
    rows = services.traceability_share(dt.date(year, 1, 1), dt.date(year, 12, 31))
    return render_template("trace/key_foods.html", rows=rows, year=year)
