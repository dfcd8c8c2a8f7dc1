"""Limit library pages: the standards with their rows by status, and a lookup for technicians."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from lims.core.localtime import local_today
from lims.core.permissions import require
from lims.users.roles import Permission

bp = Blueprint("limits", __name__, url_prefix="/limits")

STATUSES = ("yes", "secondary", "no")


def library_summary(index) -> list[dict]:  # noqa: ANN001 - a LimitIndex
    """Each standard (edition) with its own rows counted by ``verified`` status."""
    out = []
    for code, standard in sorted(index.standards.items()):
        counts = Counter(row.verified or "no" for row in index.rows_by_standard.get(code, ()))
        out.append({
            "standard": standard,
            "counts": {status: counts.get(status, 0) for status in STATUSES},
            "total": sum(counts.values()),
        })
    return out


@bp.get("/")
@require(Permission.VIEW)
def index():
    from .services import library_index

    summary = library_summary(library_index())
    totals = {s: sum(row["counts"][s] for row in summary) for s in STATUSES}
    return render_template("limits/index.html", summary=summary, totals=totals,
                           grand=sum(totals.values()))


@bp.get("/lookup")
@require(Permission.VIEW)
def lookup():
    from .lookup import lookup_item
    from .services import library_index

    item = (request.args.get("item") or "").strip()
    food = (request.args.get("food") or "").strip()
    date_text = (request.args.get("date") or "").strip()
    answer, error = None, None
    on = local_today()
    if date_text:
        try:
            on = dt.date.fromisoformat(date_text)
        except ValueError:
            error = _("Date must be YYYY-MM-DD: %(text)s", text=date_text)
    if (item or food) and not error:
        if not item or not food:
            error = _("Give both a test item and a food.")
        else:
            answer = lookup_item(library_index(), item, food, on)
    status = 422 if error else 200
    return render_template("limits/lookup.html", item=item, food=food, date=date_text,
                           answer=answer, data=answer.to_json() if answer else None,
                           error=error), status
