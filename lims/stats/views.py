"""The statistics dashboard, the records behind each figure, and table downloads."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.core.jobs import JobError, enqueue
from lims.core.permissions import require
from lims.extensions import db
from lims.stats import charts, services
from lims.stats import targets as tg
from lims.stats.period import Period, PeriodError
from lims.users.roles import Permission

bp = Blueprint("stats", __name__, url_prefix="/stats")

MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _query() -> tuple[Period, int | None, dict]:
    """Period and county from the query string; a county user is held to its county."""
    try:
        period = Period.parse(request.args.get("year"), request.args.get("from"),
                              request.args.get("to"))
    except PeriodError as exc:
        flash(str(exc), "error")
        period = Period.parse()
    requested = request.args.get("region", type=int)
    region_id = services.scope_for(current_user, requested)
    args = {k: v for k, v in request.args.items()
            if k in ("year", "from", "to", "region", "task")}
    return period, region_id, args


def _charts(coverage: dict, targets: dict) -> dict:
    tier_rows = [(r["label"], r["rate"]) for r in coverage["by_tier"]]
    category_rows = [(r["label"], r["rate"]) for r in coverage["by_category"]]
    counties = [r["region"] for r in targets["counties"]]
    months = [(m["month"][2:], m["qualified_rate"]) for m in targets["monthly_qualified"]]
    failing_items = [(r["item"], r["results"]) for r in targets["failures"]["items"]]
    task_zh = targets["failures"]["task_type_zh"]
    failing_foods = [(r["food"], r["samples"]) for r in targets["failures"]["foods"]]
    return {
        "coverage_tiers": charts.hbars(tier_rows, target=coverage["target"], maximum=1.0,
                                       title="标准检验项目覆盖率（目标80%）"),
        "coverage_categories": charts.hbars(category_rows, target=coverage["target"],
                                            maximum=1.0, title="覆盖率（按大类）"),
        "per_1000": charts.grouped_columns(counties, [
            ("每千人抽检", [r["samples_per_1000"] for r in targets["counties"]],
             targets["targets"]["samples_per_1000"]),
            ("每千人农兽残", [r["residue_per_1000"] for r in targets["counties"]],
             targets["targets"]["residue_per_1000"])], title="每千人抽检量（按县市）"),
        "qualified_trend": charts.line(months, target=targets["targets"]["qualified"],
                                       title="监督抽检合格率（按月）"),
        "failing_items": charts.hbars(failing_items, percent=False,
                                      title=f"不合格项目（{task_zh}）"),
        "failing_foods": charts.hbars(failing_foods, percent=False,
                                      title=f"不合格食品（{task_zh}）"),
    }


@bp.get("/")
@require(Permission.VIEW_STATS)
def index():
    period, region_id, args = _query()
    task = _task()
    coverage, targets, tables = services.all_tables(period, region_id, task)
    db.session.commit()  # the rollup brought up to date on the way
    from lims.orgs.services import counties

    return render_template(
        "stats/index.html", period=period, region_id=region_id, args=args,
        coverage=coverage, targets=targets, tables=tables,
        charts=_charts(coverage, targets), counties=counties(),
        county_locked=services.scope_for(current_user) is not None,
        record_kinds=services.RECORD_KINDS, plan_tasks=tg.PLAN_TASKS,
        figure_help=services.figure_help(), task_types=tg.TASK_TYPES_ZH, task=task)


def _task() -> str | None:
    """The task type the failure charts show (监督抽检 when not chosen)."""
    task = request.args.get("task") or None
    return task if task in tg.TASK_TYPES_ZH else None


@bp.get("/records/<kind>")
@require(Permission.VIEW_STATS)
def records(kind: str):
    period, region_id, args = _query()
    table = services.records(kind, period, region_id)
    if table is None:
        abort(404)
    db.session.commit()
    return render_template("stats/records.html", table=table, period=period, args=args,
                           limit=services.RECORD_LIMIT)


@bp.get("/export/<key>.<fmt>")
@require(Permission.VIEW_STATS)
def export(key: str, fmt: str):
    if fmt not in MIME:
        abort(404)
    period, region_id, _args = _query()
    table = services.table_for(key, period, region_id, _task())
    if table is None:
        abort(404)
    db.session.commit()
    body = services.to_csv(table) if fmt == "csv" else services.to_xlsx(table)
    name = f"{key}_{period.start.isoformat()}_{period.end.isoformat()}.{fmt}"
    return Response(body, mimetype=MIME[fmt],
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/coverage")
@require(Permission.VIEW_STATS)
def coverage_redirect():
    return redirect(url_for("stats.index", **request.args) + "#coverage")


@bp.post("/rebuild")
@require(Permission.MANAGE_LIMITS)
def rebuild():
    """Recompute the rollups after a bulk load: long work, so it goes to the job queue."""
    try:
        handle = enqueue("lims.stats.rollup.rebuild_job")
    except JobError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Statistics rebuild started (job %(id)s).", id=handle.id), "info")
    return redirect(url_for("stats.index"))
