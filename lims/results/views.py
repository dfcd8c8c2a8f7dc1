"""Result pages: worksheets with the entry table, review and approval queues, history."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lims.core.permissions import require
from lims.extensions import db
from lims.instruments.models import Instrument, InstrumentKind
from lims.instruments.services import calibration_status
from lims.results import services
from lims.results.forms import EntryForm, MethodForm, SendBackForm, SignForm, WorksheetForm
from lims.results.models import ResultStatus, SignatureMeaning, TestResult, Worksheet
from lims.samples.lifecycle import TransitionError
from lims.users.roles import Permission

bp = Blueprint("results", __name__, url_prefix="/results")


@bp.app_context_processor
def _labels():
    return {"result_status_zh": services.STATUS_LABEL_ZH, "verdict_zh": services.VERDICT_ZH,
            "meaning_zh": services.MEANING_ZH, "sample_results": _sample_results,
            "result_display": services.result_display,
            "verdict_basis_zh": services.verdict_basis_zh,
            "limit_pending": services.limit_pending}


def _sample_results(sample) -> list[TestResult]:
    """Results shown on the sample page: its own tests', or every sub-sample's (one query
    for all carriers, with their technicians)."""
    carriers = sample.children or [sample]
    by_test = services.results_by_test([t for c in carriers for t in c.active_tests])
    return [r for c in carriers for r in sorted(
        (by_test[t.id] for t in c.active_tests if t.id in by_test), key=lambda r: r.id)]


def _result(result_id: int) -> TestResult | None:
    return db.session.get(TestResult, result_id) if 0 < result_id <= services.MAX_ID else None


def _own_result_or_404(result_id: int) -> TestResult:
    result = _result(result_id)
    if result is None or result.sample_test.lab_org_id != current_user.org_id:
        abort(404)
    return result


def _safe_next(target: str | None, fallback: str) -> str:
    if target and target.startswith("/") and not urlsplit(target).netloc:
        return target
    return fallback


def _balances() -> list[tuple[Instrument, object]]:
    instruments = db.session.scalars(sa.select(Instrument).where(
        Instrument.org_id == current_user.org_id, Instrument.kind == InstrumentKind.BALANCE,
        Instrument.active.is_(True)).order_by(Instrument.code))
    return [(i, calibration_status(i)) for i in instruments]


def _entries(results: list[TestResult]) -> list[dict]:
    """Per result: the method (or why there is none) and the stored inputs."""
    rows = []
    for result in results:
        try:
            method, error = services.method_for(result.sample_test, result.method_key), None
        except services.ResultError as exc:
            method, error = None, exc.message
        choices = [c for c in services.method_choices(result.sample_test)
                   if c.method.code != result.method_key]
        rows.append({"result": result, "method": method, "method_error": error,
                     "choices": choices,
                     "inputs": json.loads(result.inputs_json or "{}"),
                     "signatures": services.valid_signatures(result)})
    return rows


def _form_inputs(method) -> dict:
    inputs = {}
    for spec in method.inputs:
        value = request.form.get(f"in_{spec.name}", "")
        reading = request.form.get(f"reading_{spec.name}", "")
        inputs[spec.name] = {"value": value, "reading_id": reading or None}
    return inputs


@bp.get("/")
@require(Permission.ENTER_RESULT)
def index():
    tests = services.assigned_tests(current_user, open_only=True)
    results = services.results_by_test(tests)
    tests = [t for t in tests if (r := results.get(t.id)) is None or r.worksheet_id is None]
    return render_template("results/index.html", tests=tests, form=WorksheetForm(),
                           worksheets=services.lab_worksheets(current_user))


@bp.post("/worksheets")
@require(Permission.ENTER_RESULT)
def new_worksheet():
    form = WorksheetForm()
    if not form.validate_on_submit():
        abort(400)
    ids = [int(i) for i in request.form.getlist("test") if i.isdigit()]
    try:
        sheet = services.create_worksheet(current_user, ids, form.title.data)
        services.commit()
    except services.ResultNotFound:
        db.session.rollback()
        abort(404)
    except services.ResultError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("results.index"))
    flash(_("Worksheet %(number)s created.", number=sheet.number), "success")
    return redirect(url_for("results.worksheet", number=sheet.number))


def _worksheet_or_404(number: str) -> Worksheet:
    sheet = db.session.scalar(sa.select(Worksheet).where(Worksheet.number == number))
    if sheet is None or sheet.lab_org_id != current_user.org_id:
        abort(404)
    return sheet


def _render_sheet(sheet: Worksheet, *, errors: dict | None = None, typed: dict | None = None,
                  status: int = 200):
    return render_template(
        "results/worksheet.html", sheet=sheet, entries=_entries(sheet.results),
        balances=_balances(), entry_form=EntryForm(), sign_form=SignForm(),
        errors=errors or {}, typed=typed or {}, method_form=MethodForm(),
        can_enter=current_user.can(Permission.ENTER_RESULT)), status


@bp.get("/worksheets/<number>")
@login_required
def worksheet(number: str):
    return _render_sheet(_worksheet_or_404(number))


@bp.post("/<int:result_id>/save")
@require(Permission.ENTER_RESULT)
def save(result_id: int):
    result = _own_result_or_404(result_id)
    form = EntryForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        method = services.method_for(result.sample_test, result.method_key)
        inputs = _form_inputs(method)
        services.enter_result(result.sample_test, current_user, inputs,
                              expected_version=form.version.data, reason=form.reason.data,
                              unit=form.unit.data or None)
        services.commit()
    except services.ResultNotFound:
        db.session.rollback()
        abort(404)
    except (services.ResultError, TransitionError) as exc:
        db.session.rollback()
        typed = {"inputs": request.form.to_dict(), "reason": form.reason.data}
        status = getattr(exc, "status", 422)
        error = {"message": getattr(exc, "message", str(exc)),
                 "field": getattr(exc, "field", None),
                 "stale": isinstance(exc, services.StaleResult)}
        result = db.session.get(TestResult, result_id)
        if result.worksheet is None:
            flash(error["message"], "error")
            return _render_result(result, status)
        return _render_sheet(result.worksheet, errors={result.id: error},
                             typed={result.id: typed}, status=status)
    flash(_("Result saved: %(item)s %(value)s %(unit)s", item=result.sample_test.test_item.name_zh,
            value=result.reported_value, unit=result.unit), "success")
    if result.worksheet is not None:
        return redirect(url_for("results.worksheet", number=result.worksheet.number,
                                _anchor=f"r{result.id}"))
    return redirect(url_for("results.detail", result_id=result.id))


@bp.post("/<int:result_id>/method")
@require(Permission.ENTER_RESULT)
def switch_method(result_id: int):
    """Compute the test by another method the lab declares, with the reason."""
    result = _own_result_or_404(result_id)
    form = MethodForm()
    if not form.csrf_token.validate(form):
        abort(400)
    back = _safe_next(form.next.data, url_for("results.detail", result_id=result.id))
    try:
        services.switch_method(result.sample_test, current_user, form.method.data or "",
                               form.reason.data or "", expected_version=form.version.data)
        services.commit()
    except (services.ResultError, TransitionError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", str(exc)), "error")
        return redirect(back)
    flash(_("Method changed: %(method)s", method=result.method_standard), "success")
    return redirect(back)


@bp.post("/<int:result_id>/preview")
@require(Permission.ENTER_RESULT)
def preview(result_id: int):
    """The computed, rounded and judged result of the typed inputs, not stored (JSON)."""
    result = _own_result_or_404(result_id)
    form = EntryForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        method = services.method_for(result.sample_test, result.method_key)
        shown = services.preview(result.sample_test, current_user, _form_inputs(method),
                                 form.unit.data or None)
    except services.ResultError as exc:
        return jsonify({"error": exc.message, "field": exc.field}), exc.status
    return jsonify({"reported_value": shown.reported_value, "unit": shown.unit,
                    "detected": shown.detected,
                    "lod": None if shown.lod is None else format(shown.lod, "f"),
                    "verdict": shown.verdict, "verdict_zh": services.VERDICT_ZH[shown.verdict],
                    "verdict_reason": shown.verdict_reason, "limit": shown.limit_text,
                    "limit_standard": shown.limit_standard,
                    "limit_verified": shown.limit_verified, "detection": shown.detection,
                    "loq": None if shown.loq is None else format(shown.loq, "f"),
                    "comparison": shown.comparison, "decision_rule": shown.decision_rule,
                    "basis_zh": services.verdict_basis_zh(shown),
                    "steps": list(shown.steps)})


def _render_result(result: TestResult, status: int = 200):
    return render_template(
        "results/detail.html", result=result, entry=_entries([result])[0],
        changes=[(c, json.loads(c.old_json or "{}"), json.loads(c.new_json or "{}"))
                 for c in services.history(result)], record_hash=services.record_hash(result),
        sign_form=SignForm(), send_back_form=SendBackForm(), method_form=MethodForm(),
        can_act=result.sample_test.lab_org_id == current_user.org_id), status


@bp.get("/<int:result_id>")
@login_required
def detail(result_id: int):
    result = _result(result_id)
    if result is None or not services.can_view(current_user, result):
        abort(404)
    return _render_result(result)


@bp.post("/<int:result_id>/sign")
@login_required
def sign(result_id: int):
    result = _own_result_or_404(result_id)
    form = SignForm()
    if not form.csrf_token.validate(form):
        abort(400)
    try:
        services.sign(result, current_user, form.meaning.data or "", form.password.data or "",
                      expected_version=form.version.data,
                      confirm_limit=request.form.get("confirm_limit") == "1")
        services.commit()
    except services.PasswordRefused as exc:
        db.session.commit()  # the failed attempt counts toward the lockout
        flash(exc.message, "error")
        return _render_result(result, exc.status)
    except services.ResultNotFound:
        db.session.rollback()
        abort(404)
    except (services.ResultError, TransitionError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", str(exc)), "error")
        return _render_result(db.session.get(TestResult, result_id),
                              getattr(exc, "status", 422))
    meaning = SignatureMeaning(form.meaning.data)
    flash(_("Signed (%(meaning)s): %(item)s", meaning=services.MEANING_ZH[meaning],
            item=result.sample_test.test_item.name_zh), "success")
    return redirect(_safe_next(form.next.data, url_for("results.detail", result_id=result.id)))


@bp.post("/<int:result_id>/send-back")
@login_required
def send_back(result_id: int):
    result = _own_result_or_404(result_id)
    form = SendBackForm()
    if not form.csrf_token.validate(form):
        abort(400)
    try:
        services.send_back(result, current_user, form.reason.data or "",
                           expected_version=form.version.data)
        services.commit()
    except (services.ResultError, TransitionError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", str(exc)), "error")
        return _render_result(db.session.get(TestResult, result_id),
                              getattr(exc, "status", 422))
    flash(_("Result sent back to the technician."), "success")
    return redirect(_safe_next(form.next.data, url_for("results.detail", result_id=result.id)))


_STEP_BEFORE = {SignatureMeaning.SUBMITTED: ResultStatus.DRAFT,
                SignatureMeaning.REVIEWED: ResultStatus.SUBMITTED,
                SignatureMeaning.APPROVED: ResultStatus.REVIEWED}


def _default_meaning() -> SignatureMeaning:
    if current_user.can(Permission.APPROVE_REPORT):
        return SignatureMeaning.APPROVED
    if current_user.can(Permission.REVIEW_RESULT):
        return SignatureMeaning.REVIEWED
    return SignatureMeaning.SUBMITTED


def _sample_or_404(number: str):
    from lims.samples.models import Sample
    from lims.samples.services import can_view

    sample = db.session.scalar(sa.select(Sample).where(Sample.number == number))
    if sample is None or not can_view(current_user, sample):
        abort(404)
    return sample


def _render_sample_signing(sample, meaning: SignatureMeaning, results: list[TestResult],
                           status: int = 200, checked: set[int] | None = None):
    from lims.instruments.models import InstrumentReading
    from lims.results.cma import result_cma, sample_cma

    entries = _entries(results)
    ids = {int(v["reading_id"]) for e in entries for v in e["inputs"].values()
           if str(v.get("reading_id") or "").isdigit()}
    readings = {r.id: r for r in db.session.scalars(
        sa.select(InstrumentReading).where(InstrumentReading.id.in_(ids)))} if ids else {}
    before = _STEP_BEFORE[meaning]
    for entry in entries:
        result = entry["result"]
        entry["steps"], entry["steps_error"] = services.computation_steps(result)
        entry["signable"] = result.status == before and result.value is not None
        entry["cma"] = result_cma(result)
    labs = {r.sample_test.lab for r in results}
    lab = labs.pop() if len(labs) == 1 else None
    cma = sample_cma(results, lab.cma_certificate if lab else None) \
        if meaning == SignatureMeaning.APPROVED else None
    return render_template(
        "results/sign_sample.html", sample=sample, meaning=meaning, entries=entries,
        readings=readings, cma=cma, sign_form=SignForm(), checked=checked,
        signable=sum(e["signable"] for e in entries)), status


@bp.route("/samples/<number>/sign", methods=["GET", "POST"])
@login_required
def sign_sample(number: str):
    """Every result of a sample on one page (inputs, steps, raw frames, verdict, limit and
    its source), signed all or some with one password entry."""
    sample = _sample_or_404(number)
    try:
        meaning = SignatureMeaning(request.values.get("meaning") or _default_meaning())
    except ValueError:
        abort(400)
    results = services.sample_results_for_signing(sample, current_user)
    if not results:
        abort(404)
    if request.method == "GET":
        return _render_sample_signing(sample, meaning, results)
    form = SignForm()
    if not form.csrf_token.validate(form):
        abort(400)
    by_id = {r.id: r for r in results}
    chosen_ids = [int(i) for i in request.form.getlist("result") if i.isdigit()]
    chosen = [by_id[i] for i in chosen_ids if i in by_id]
    versions = {i: int(v) for i in chosen_ids
                if (v := request.form.get(f"version_{i}", "")).isdigit()}
    confirmed = [int(i) for i in request.form.getlist("confirm_limit") if i.isdigit()]
    try:
        signed = services.sign_many(chosen, current_user, meaning.value,
                                    request.form.get("password", ""), versions=versions,
                                    confirmed_limits=confirmed)
        services.commit()
    except services.PasswordRefused as exc:
        db.session.commit()  # the failed attempt counts toward the lockout
        flash(exc.message, "error")
        return _render_sample_signing(sample, meaning, results, exc.status, set(chosen_ids))
    except (services.ResultError, TransitionError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", str(exc)), "error")
        results = services.sample_results_for_signing(sample, current_user)
        return _render_sample_signing(sample, meaning, results, getattr(exc, "status", 422),
                                      set(chosen_ids))
    flash(_("Signed (%(meaning)s): %(count)s results, each bound to its own record hash.",
            meaning=services.MEANING_ZH[meaning], count=len(signed)), "success")
    return redirect(url_for("results.sign_sample", number=sample.number,
                            meaning=meaning.value))


def _queue(status: ResultStatus, meaning: SignatureMeaning, title: str):
    return render_template("results/queue.html", entries=_entries(services.queue(
        current_user, status)), meaning=meaning, title=title, sign_form=SignForm(),
        send_back_form=SendBackForm())


@bp.get("/review")
@require(Permission.REVIEW_RESULT)
def review():
    return _queue(ResultStatus.SUBMITTED, SignatureMeaning.REVIEWED, _("Review"))


@bp.get("/approval")
@require(Permission.APPROVE_REPORT)
def approval():
    return _queue(ResultStatus.REVIEWED, SignatureMeaning.APPROVED, _("Approval"))
