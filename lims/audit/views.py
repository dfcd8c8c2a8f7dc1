"""The audit history page of any record."""

from __future__ import annotations

from flask import Blueprint, render_template

from lims.audit.services import history
from lims.core.permissions import require
from lims.users.roles import Permission

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/<table_name>/<record_id>")
@require(Permission.VIEW_AUDIT)
def record_history(table_name: str, record_id: str):
    entries = history(table_name, record_id)
    return render_template("audit/history.html", entries=entries,
                           table_name=table_name, record_id=record_id)
