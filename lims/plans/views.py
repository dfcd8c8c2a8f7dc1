"""Plan pages: versions, build, review, months, tasks, variety lists, XLSX export."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import lims.plans.hooks  # noqa: F401 - connects the receipt signal
from lims.businesses.services import can_manage_network
from lims.core.localtime import local_today
from lims.core.permissions import require
from lims.extensions import db
from lims.orgs.models import Region
from lims.plans import services
from lims.plans.models import CountyVariety, PlanTask, PlanTaskSample, SamplingPlan
from lims.users.roles import Permission

bp = Blueprint("plans", __name__, url_prefix="/plans")


def _manager_only() -> None:
    if not can_manage_network(current_user):
        abort(403)


@bp.get("/")
@require(Permission.VIEW_STATS)
def index():
    year = request.args.get("year", type=int) or local_today().year
    plans = list(db.session.scalars(sa.select(SamplingPlan).where(SamplingPlan.year == year)
                                    .order_by(SamplingPlan.version.desc())))
    return render_template("plans/index.html", year=year, plans=plans,
                           states=services.STATE_ZH, manage=can_manage_network(current_user))


@bp.post("/build")
@require(Permission.VIEW_STATS)
def build():
    _manager_only()
    year = request.form.get("year", type=int)
    if not year or not 2000 <= year <= 2100:
        flash(_("Give a year between 2000 and 2100."), "error")
        return redirect(url_for("plans.index"))
    try:
        plan = services.build_plan(year, current_user)
        db.session.commit()
    except services.PlanServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("plans.index", year=year))
    flash(_("Plan %(year)s version %(v)s ready.", year=plan.year, v=plan.version), "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))


def _plan_or_404(plan_id: int) -> SamplingPlan:
    return db.session.get(SamplingPlan, plan_id) or abort(404)


@bp.get("/<int:plan_id>")
@require(Permission.VIEW_STATS)
def detail(plan_id: int):
    plan = _plan_or_404(plan_id)
    month = request.args.get("month", type=int) or local_today().month
    region_id = request.args.get("region", type=int)
    tasks = [t for t in plan.tasks if t.month == month and (not region_id or
                                                             t.region_id == region_id)]
    received = dict(db.session.execute(
        sa.select(PlanTaskSample.task_id, sa.func.count(PlanTaskSample.id))
        .where(PlanTaskSample.task_id.in_([t.id for t in tasks] or [-1]))
        .group_by(PlanTaskSample.task_id)).all())
    return render_template("plans/detail.html", plan=plan, month=month, tasks=tasks,
                           received=received, summary=services.county_summary(plan),
                           counties=services.counties(), region_id=region_id,
                           states=services.STATE_ZH, tiers=services.TIER_ZH,
                           manage=can_manage_network(current_user))


@bp.post("/<int:plan_id>/approve")
@require(Permission.VIEW_STATS)
def approve(plan_id: int):
    _manager_only()
    plan = _plan_or_404(plan_id)
    try:
        services.approve_plan(plan, current_user, request.form.get("note", ""))
        db.session.commit()
    except services.PlanServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Plan approved."), "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.post("/<int:plan_id>/assign")
@require(Permission.VIEW_STATS)
def assign(plan_id: int):
    _manager_only()
    plan = _plan_or_404(plan_id)
    month = request.form.get("month", type=int) or 0
    try:
        n = services.assign_month(plan, month)
        db.session.commit()
    except services.PlanServiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("%(n)s tasks of month %(m)s assigned to the labs.", n=n, m=month), "success")
    return redirect(url_for("plans.detail", plan_id=plan.id, month=month))


@bp.get("/<int:plan_id>/export.xlsx")
@require(Permission.VIEW_STATS)
def export(plan_id: int):
    plan = _plan_or_404(plan_id)
    data = services.export_xlsx(plan)
    name = f"plan-{plan.year}-v{plan.version}.xlsx"
    return data, 200, {
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{name}"'}


@bp.get("/tasks/<int:task_id>")
@require(Permission.VIEW)
def task(task_id: int):
    task = db.session.get(PlanTask, task_id) or abort(404)
    links = list(db.session.scalars(sa.select(PlanTaskSample).where(
        PlanTaskSample.task_id == task.id).order_by(PlanTaskSample.id)))
    return render_template("plans/task.html", task=task, links=links, tiers=services.TIER_ZH)


@bp.get("/tasks")
@require(Permission.VIEW)
def my_tasks():
    """This month's assigned tasks of the user's lab (all of them for the prefecture)."""
    today = local_today()
    month = request.args.get("month", type=int) or today.month
    year = request.args.get("year", type=int) or today.year
    plan = services.latest_plan(year, approved=True)
    tasks = [t for t in plan.tasks if t.month == month and t.state == "assigned" and
             (current_user.org.sees_everything or t.org_id == current_user.org_id)] \
        if plan else []
    return render_template("plans/tasks.html", plan=plan, tasks=tasks, month=month, year=year,
                           tiers=services.TIER_ZH)


@bp.route("/varieties", methods=["GET", "POST"])
@require(Permission.VIEW_STATS)
def varieties():
    if request.method == "POST":
        _manager_only()
        region = db.session.get(Region, request.form.get("region", type=int) or 0)
        try:
            if region is None:
                raise services.PlanServiceError("请选择县市")
            if request.form.get("action") == "deactivate":
                row = db.session.get(CountyVariety, request.form.get("variety_id", type=int) or 0)
                if row is None:
                    raise services.PlanServiceError("没有该品种")
                services.set_variety_active(row, False)
            else:
                services.add_variety(region, request.form.get("variety", ""))
            db.session.commit()
        except services.PlanServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        return redirect(url_for("plans.varieties"))
    lists = [(r, services.varieties_of(r, active_only=False)) for r in services.counties()]
    return render_template("plans/varieties.html", lists=lists,
                           manage=can_manage_network(current_user))


def dashboard_progress(year: int | None = None) -> dict | None:
    """The statistics dashboard's plan section (templates/plans/_progress.html)."""
    year = year or local_today().year
    plan = services.latest_plan(year, approved=True)
    if plan is None:
        return {"plan": None, "year": year, "rows": []}
    return {"plan": plan, "year": year, "rows": services.progress(plan)}


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"plan_progress": dashboard_progress}
