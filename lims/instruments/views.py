"""Instrument pages: list with calibration badges, detail, register, certify, capture pair."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from lims.audit.context import change_reason
from lims.core.localtime import format_local
from lims.core.permissions import require
from lims.extensions import db
from lims.instruments import services
from lims.instruments.api import reading_json
from lims.instruments.forms import CertificateForm, InstrumentForm
from lims.instruments.models import CaptureRequest, Instrument
from lims.orgs.models import Organization
from lims.users.roles import Permission
from lims.users.scoping import can_see_org

bp = Blueprint("instruments", __name__, url_prefix="/instruments")

_BENCH = (Permission.ENTER_RESULT, Permission.UPLOAD_STATION_RESULT)


@bp.app_context_processor
def _labels():
    return {"instrument_kind_zh": services.KIND_ZH, "cert_kind_zh": services.CERT_KIND_ZH,
            "lab_time": _lab_time}


def _lab_time(moment) -> str:
    return format_local(moment, "%Y-%m-%d %H:%M:%S")


def _visible_or_404(code: str) -> Instrument:
    instrument = services.find_instrument(code)
    if instrument is None or not can_see_org(current_user, instrument.org):
        abort(404)
    return instrument


def _bench_instrument(code: str) -> Instrument:
    """Capturing is for the people at that instrument's bench: its organisation, bench roles."""
    instrument = _visible_or_404(code)
    if instrument.org_id != current_user.org_id or \
            not any(current_user.can(p) for p in _BENCH):
        abort(403)
    return instrument


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


@bp.get("/")
@login_required
def index():
    # the organisation and the certificates of every row in two more queries, not per row
    instruments = db.session.scalars(
        sa.select(Instrument).options(joinedload(Instrument.org),
                                      selectinload(Instrument.certificates))
        .order_by(Instrument.code)).all()
    rows = [(i, services.calibration_status(i)) for i in instruments
            if can_see_org(current_user, i.org)]
    return render_template("instruments/index.html", rows=rows)


@bp.get("/<code>")
@login_required
def detail(code: str):
    instrument = _visible_or_404(code)
    return render_template(
        "instruments/detail.html", instrument=instrument,
        status=services.calibration_status(instrument),
        readings=services.recent_readings(instrument),
        can_capture=instrument.org_id == current_user.org_id
        and any(current_user.can(p) for p in _BENCH))


def _csrf_failed(form) -> bool:
    form.validate()
    return bool(form.csrf_token.errors)


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.MANAGE_INSTRUMENTS)
def new():
    form = InstrumentForm()
    orgs = [o for o in db.session.scalars(
        sa.select(Organization).where(Organization.active.is_(True)).order_by(Organization.code))
        if can_see_org(current_user, o)]
    form.org.choices = [(o.code, f"{o.code} {o.name}") for o in orgs]
    if request.method == "GET":
        form.org.data = current_user.org.code
    errors: dict[str, str] = {}
    if request.method == "POST":
        if _csrf_failed(form):
            abort(400)
        org = next((o for o in orgs if o.code == form.org.data), None)
        try:
            instrument = services.register_instrument(
                code=form.code.data, name=form.name.data, kind=form.kind.data,
                driver=form.driver.data, org=org, serial_number=form.serial_number.data,
                manufacturer=form.manufacturer.data, model=form.model.data,
                location=form.location.data, bench=form.bench.data,
                port_url=form.port_url.data, port_settings=form.port_settings.data)
            db.session.commit()
        except services.InstrumentInputError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("Instrument %(code)s registered; add its calibration certificate.",
                    code=instrument.code), "success")
            return redirect(url_for("instruments.add_certificate", code=instrument.code))
    return render_template("instruments/new.html", form=form, errors=errors), \
        (422 if errors else 200)


@bp.route("/<code>/certificates/new", methods=["GET", "POST"])
@require(Permission.MANAGE_INSTRUMENTS)
def add_certificate(code: str):
    instrument = _visible_or_404(code)
    form = CertificateForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if _csrf_failed(form):
            abort(400)
        for name in ("valid_from", "valid_until"):
            if getattr(form, name).errors:
                errors[name] = "日期格式应为 YYYY-MM-DD"
        if not errors:
            try:
                with change_reason(form.notes.data or None):
                    services.add_certificate(
                        instrument, number=form.number.data, kind=form.kind.data,
                        issued_by=form.issued_by.data, valid_from=form.valid_from.data,
                        valid_until=form.valid_until.data, notes=form.notes.data)
                    db.session.commit()
            except services.InstrumentInputError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                flash(_("Certificate added."), "success")
                return redirect(url_for("instruments.detail", code=instrument.code))
    return render_template("instruments/certificate.html", form=form, errors=errors,
                           instrument=instrument), (422 if errors else 200)


@bp.post("/<code>/capture")
@login_required
def capture(code: str):
    """The "capture" button: ask the bench agent for a reading (JSON for the result page)."""
    instrument = _bench_instrument(code)
    command = (request.get_json(silent=True) or {}).get("command") if request.is_json \
        else request.form.get("command")
    try:
        capture_request = services.request_capture(instrument, current_user, command)
        db.session.commit()
    except services.ReadingError as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": exc.message_zh}), exc.status
        flash(exc.message_zh, "error")
        return redirect(url_for("instruments.detail", code=code)), 303
    latest = services.latest_reading(instrument)
    if _wants_json():
        return jsonify({"request_id": capture_request.id, "state": capture_request.state.value,
                        "after": latest.id if latest else None,
                        "poll": url_for("instruments.latest_json", code=code,
                                        after=latest.id if latest else None,
                                        request=capture_request.id)}), 201
    flash(_("Capture requested; the bench agent will read the instrument."), "success")
    return redirect(url_for("instruments.detail", code=code)), 303


@bp.get("/<code>/latest.json")
@login_required
def latest_json(code: str):
    """The reading for the result field: with ``request``, the one answering that capture
    request (never one taken before it) and the request's state, so the page can show why a
    capture failed; otherwise the last one taken (received after reading ``after``)."""
    instrument = _bench_instrument(code)
    request_id = request.args.get("request", type=int)
    capture_request = None
    if request_id is not None:
        capture_request = db.session.get(CaptureRequest, request_id)
        if capture_request is None or capture_request.instrument_id != instrument.id:
            abort(404)
        reading = services.capture_reading(capture_request)
    else:
        reading = services.latest_reading(instrument, after=request.args.get("after", type=int))
    body: dict = {"reading": reading_json(reading) if reading else None}
    if capture_request is not None:
        body["request"] = {
            "id": capture_request.id, "state": capture_request.state.value,
            "reading_id": capture_request.reading_id, "error": capture_request.error,
            "expired": services.capture_expired(capture_request)}
    return jsonify(body)
