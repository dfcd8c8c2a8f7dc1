"""The audit history page of any record."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from lims.audit.scope import record_owner
from lims.audit.services import history
from lims.core.permissions import require
from lims.users.access import authorize
from lims.users.roles import Permission

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/<table_name>/<record_id>")
@require(Permission.VIEW_AUDIT)
def record_history(table_name: str, record_id: str):
    authorize(current_user, Permission.VIEW_AUDIT, record_owner(table_name, record_id),
              "查看审计记录")
    entries = history(table_name, record_id)
    return render_template("audit/history.html", entries=entries,
                           table_name=table_name, record_id=record_id)
