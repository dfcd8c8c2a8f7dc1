"""Home page and health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template
from flask_login import login_required

from lims.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
@login_required
def home():
    return render_template("home.html")


@bp.get("/healthz")
def healthz():
    db.session.execute(sa.text("SELECT 1"))
    return jsonify({"status": "ok"})
