"""Station pages (day view, CSV upload, hand entry on a phone, result detail, confirmation
tasks) and the public 公示 pages of each market, which need no login."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lims.core.localtime import format_local, local_zone
from lims.core.permissions import require
from lims.extensions import db
from lims.instruments.services import local_date
from lims.orgs.models import OrgTier
from lims.samples.services import find_visible
from lims.stations import confirmation, intake, services
from lims.stations.forms import LinkSampleForm, PublishForm, ResultForm, UploadForm
from lims.stations.models import ConfirmationTask, Market, StationResult, TaskStatus
from lims.users.roles import Permission
from lims.users.scoping import can_see_org

bp = Blueprint("stations", __name__, url_prefix="/stations")
public_bp = Blueprint("public", __name__, url_prefix="/public")

VERDICT_ZH = {"positive": "阳性", "negative": "阴性", "not_judged": "未判定"}
METHOD_ZH = {"enzyme_inhibition": "酶抑制法", "colloidal_gold": "胶体金法", "other_kit": "其他试剂盒"}
TASK_STATUS_ZH = {TaskStatus.OPEN: "待采样", TaskStatus.SAMPLE_REGISTERED: "已登记复检样品",
                  TaskStatus.CONFIRMED: "已确认阳性", TaskStatus.NOT_CONFIRMED: "未确认（合格）",
                  TaskStatus.CANCELLED: "已取消"}


@bp.app_context_processor
def _labels():
    return {"verdict_zh": VERDICT_ZH, "method_zh": METHOD_ZH, "task_status_zh": TASK_STATUS_ZH,
            "local_time": _local_time}


def _local_time(moment, fmt: str = "%H:%M") -> str:
    return format_local(moment, fmt)


def _day_arg() -> dt.date:
    try:
        return dt.date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return local_date()


def _is_operator() -> bool:
    return current_user.can(Permission.UPLOAD_STATION_RESULT) and \
        current_user.org.tier == OrgTier.STATION


@bp.get("/")
@login_required
def index():
    day = _day_arg()
    stations = services.visible_stations(current_user)
    if not stations:
        abort(403)
    code = request.args.get("station") or (current_user.org.code if _is_operator()
                                            else stations[0].code)
    station = next((s for s in stations if s.code == code), None)
    if station is None:
        abort(404)
    markets = services.markets_of(station)
    market = next((m for m in markets if m.code == request.args.get("market")), None)
    rows = services.day_results(station, day, market)
    corrections = services.corrections_of([r for r, _ in rows])
    return render_template("stations/index.html", day=day, station=station, stations=stations,
                           markets=markets, market=market, rows=rows, corrections=corrections,
                           is_operator=_is_operator() and station.id == current_user.org_id,
                           publish_form=PublishForm(),
                           prev_day=day - dt.timedelta(days=1), next_day=day + dt.timedelta(days=1))


def _raw_from_form(form: ResultForm) -> dict:
    """The form as a record of the API (the same validator decides)."""
    fields = ("uid", "market", "stall", "vendor", "food_name", "food_category", "test_item",
              "method", "inhibition_pct", "tc_ratio", "tc_cutoff", "kit_result",
              "station_verdict", "operator", "instrument_serial", "kit_lot")
    raw = {name: (getattr(form, name).data or "").strip() for name in fields}
    raw = {k: v for k, v in raw.items() if v != ""}
    text = (form.tested_at.data or "").strip()
    try:
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is None:  # a datetime-local input: the lab's local time
            moment = moment.replace(tzinfo=local_zone())
        raw["tested_at"] = moment.isoformat()
    except ValueError:
        raw["tested_at"] = text
    return raw


def _save_form(form: ResultForm, correcting: StationResult | None) -> tuple[dict, bool]:
    raw = _raw_from_form(form)
    if correcting is not None:
        raw["corrects_uid"] = correcting.uid
        raw["correction_reason"] = (form.correction_reason.data or "").strip()
    try:
        records = intake.validate_records([raw])
        intake.submit(current_user, records, source="form")
        db.session.commit()
    except intake.BatchRefused as exc:
        db.session.rollback()
        errors = exc.records[0]["errors"] if exc.records else {"record": exc.message}
        return errors, False
    return {}, True


def _result_form(correcting: StationResult | None = None) -> ResultForm:
    form = ResultForm()
    markets = services.markets_of(current_user.org)
    form.market.choices = [(m.code, m.name) for m in markets]
    if request.method == "GET":
        form.uid.data = f"{current_user.org.code}-{uuid.uuid4()}"
        form.operator.data = current_user.display_name
        form.tested_at.data = dt.datetime.now(local_zone()).strftime("%Y-%m-%dT%H:%M")
        if correcting is not None:
            for name in ("stall", "vendor", "food_name", "food_category", "test_item",
                         "operator", "instrument_serial", "kit_lot", "kit_result"):
                getattr(form, name).data = getattr(correcting, name) or ""
            form.market.data = correcting.market.code
            form.method.data = correcting.method.value
            form.station_verdict.data = correcting.station_verdict.value
            for name in ("inhibition_pct", "tc_ratio", "tc_cutoff"):
                value = getattr(correcting, name)
                getattr(form, name).data = "" if value is None else format(value, "f")
            form.tested_at.data = _local_time(correcting.tested_at, "%Y-%m-%dT%H:%M")
    return form


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.UPLOAD_STATION_RESULT)
def new():
    if not _is_operator():
        abort(403)
    form = _result_form()
    errors: dict = {}
    if request.method == "POST":
        if not form.validate_on_submit() and form.csrf_token.errors:
            abort(400)
        errors, ok = _save_form(form, None)
        if ok:
            flash(_("Result saved."), "success")
            return redirect(url_for("stations.index", date=_raw_from_form(form)["tested_at"][:10]))
    return render_template("stations/new.html", form=form, errors=errors, correcting=None), \
        (422 if errors else 200)


@bp.route("/results/<int:result_id>/correct", methods=["GET", "POST"])
@require(Permission.UPLOAD_STATION_RESULT)
def correct(result_id: int):
    result = db.get_or_404(StationResult, result_id)
    if not _is_operator() or result.station_org_id != current_user.org_id:
        abort(404)
    form = _result_form(result)
    errors: dict = {}
    if request.method == "POST":
        if not form.validate_on_submit() and form.csrf_token.errors:
            abort(400)
        errors, ok = _save_form(form, result)
        if ok:
            flash(_("Correction saved; the original result is kept and shown with it."),
                  "success")
            return redirect(url_for("stations.detail", result_id=result.id))
    return render_template("stations/new.html", form=form, errors=errors, correcting=result), \
        (422 if errors else 200)


@bp.route("/upload", methods=["GET", "POST"])
@require(Permission.UPLOAD_STATION_RESULT)
def upload():
    if not _is_operator():
        abort(403)
    form = UploadForm()
    problems: list[dict] = []
    message = None
    if form.validate_on_submit():
        data = form.file.data.read(intake.max_bytes() + 1)
        try:
            intake.check_size(len(data))
            records = intake.parse_csv_batch(data)
            answer = intake.submit(current_user, records, source="csv")
            db.session.commit()
        except intake.BatchRefused as exc:
            db.session.rollback()
            message, problems = exc.message, exc.records
        else:
            body = answer.body
            flash(_("%(n)s results accepted (%(new)s new), %(pos)s positive, "
                    "%(dis)s disagreements.", n=body["accepted"], new=answer.created,
                    pos=body["positives"], dis=body["disagreements"]), "success")
            return redirect(url_for("stations.index"))
    status = 422 if message else 200
    return render_template("stations/upload.html", form=form, message=message,
                           problems=problems), status


def _visible_result(result_id: int) -> StationResult:
    result = db.get_or_404(StationResult, result_id)
    task = db.session.scalar(sa.select(ConfirmationTask).where(
        ConfirmationTask.station_result_id == result.id))
    if can_see_org(current_user, result.station_org):
        return result
    if task is not None and task.lab_org_id == current_user.org_id:
        return result
    abort(404)


@bp.get("/results/<int:result_id>")
@login_required
def detail(result_id: int):
    result = _visible_result(result_id)
    task = db.session.scalar(sa.select(ConfirmationTask).where(
        ConfirmationTask.station_result_id == result.id))
    agreement = confirmation.refresh(task) if task is not None else None
    if task is not None and db.session.is_modified(task):
        db.session.commit()
    corrections = services.corrections_of([result]).get(result.id, [])
    return render_template("stations/detail.html", result=result, task=task,
                           agreement=agreement, corrections=corrections,
                           link_form=LinkSampleForm(),
                           can_link=task is not None and task.lab_org_id == current_user.org_id
                           and current_user.can(Permission.REGISTER_SAMPLE),
                           can_correct=_is_operator()
                           and result.station_org_id == current_user.org_id)


@bp.get("/confirmations")
@login_required
def confirmations():
    status = request.args.get("status", "open")
    query = (sa.select(ConfirmationTask).where(confirmation.visible_tasks_clause(current_user))
             .order_by(ConfirmationTask.due_on, ConfirmationTask.id).limit(200))
    if status == "open":
        query = query.where(ConfirmationTask.status.in_([TaskStatus.OPEN,
                                                         TaskStatus.SAMPLE_REGISTERED]))
    tasks = db.session.scalars(query).all()
    return render_template("stations/confirmations.html", tasks=tasks, status=status,
                           today=local_date())


@bp.post("/confirmations/<int:task_id>/sample")
@require(Permission.REGISTER_SAMPLE)
def link_sample(task_id: int):
    task = db.get_or_404(ConfirmationTask, task_id)
    if task.lab_org_id != current_user.org_id:
        abort(404)
    form = LinkSampleForm()
    if not form.validate_on_submit():
        flash(_("Enter the number of the confirmation sample."), "error")
        return redirect(url_for("stations.detail", result_id=task.station_result_id))
    sample = find_visible(current_user, form.sample_number.data)
    try:
        if sample is None:
            raise confirmation.ConfirmationError(f"未找到样品 {form.sample_number.data}")
        confirmation.link_sample(task, sample, current_user)
        db.session.commit()
        flash(_("Sample linked to the confirmation task."), "success")
    except confirmation.ConfirmationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("stations.detail", result_id=task.station_result_id))


@bp.post("/publish")
@require(Permission.UPLOAD_STATION_RESULT)
def publish():
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    market = services.find_market(form.market.data)
    if market is None or market.station_org_id != current_user.org_id:
        abort(404)
    try:
        day = dt.date.fromisoformat(form.date.data)
    except ValueError:
        abort(400)
    count = services.publish_day(current_user, market, day)
    db.session.commit()
    flash(_("%(n)s results published on the public page.", n=count), "success")
    return redirect(url_for("stations.index", date=day.isoformat(), market=market.code))


# --- public pages (公示), no login ------------------------------------------------------------

@public_bp.get("/markets/")
def markets():
    rows = db.session.scalars(sa.select(Market).where(Market.active.is_(True))
                              .order_by(Market.code)).all()
    return render_template("stations/public_markets.html", markets=rows)


@public_bp.get("/markets/<code>/")
def market_day(code: str):
    market = services.find_market(code)
    if market is None or not market.active:
        abort(404)
    days = services.public_days(market)
    day = _day_arg() if request.args.get("date") else (days[0] if days else local_date())
    lines = services.public_day(market, day)
    return render_template("stations/public_day.html", market=market, day=day, days=days,
                           lines=lines)


# lims.results (when installed) tells us when a confirmation sample is approved
confirmation.connect_signals()
