"""``/api/v1/stats``: the same figures as the dashboard and ``lims stats … --json``."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from lims.core.api import ApiError, api_bp, api_login_required
from lims.extensions import db
from lims.stats import coverage as cov
from lims.stats import services
from lims.stats import targets as tg
from lims.stats.period import Period, PeriodError
from lims.users.roles import Permission


def _period() -> Period:
    try:
        return Period.parse(request.args.get("year"), request.args.get("from"),
                            request.args.get("to"))
    except PeriodError as exc:
        raise ApiError(str(exc), 422, {"year": str(exc)}) from None


@api_bp.get("/stats/coverage")
@api_login_required(Permission.VIEW_STATS)
def stats_coverage():
    region = services.scope_for(current_user, request.args.get("region", type=int))
    report = cov.coverage_report(_period(), region_id=region)
    db.session.commit()  # the rollup brought up to date on the way
    return jsonify(report)


@api_bp.get("/stats/targets")
@api_login_required(Permission.VIEW_STATS)
def stats_targets():
    region = services.scope_for(current_user, request.args.get("region", type=int))
    task = request.args.get("task") or None
    if task is not None and task not in tg.TASK_TYPES_ZH:
        raise ApiError(f"任务类型无效：{task}", 422, {"task": "无效"})
    report = tg.targets_report(_period(), region_id=region, task_type=task)
    db.session.commit()
    return jsonify(report)
