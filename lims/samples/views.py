"""Sample pages: list, receipt, detail with timeline, routing, hand-overs, labels."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lims.core.localtime import local_today
from lims.core.permissions import require
from lims.extensions import db
from lims.foods import services as foods
from lims.orgs.models import Organization
from lims.orgs.services import counties
from lims.samples import labels as sample_labels
from lims.samples import services
from lims.samples.forms import HandOverForm, ReceiptForm, TransitionForm
from lims.samples.lifecycle import STATUS_ZH, SampleStatus, TransitionError, allowed_targets
from lims.samples.listing import SampleFilters, list_samples
from lims.samples.models import TASK_TYPE_ZH, Sample, TaskType
from lims.samples.receipt import ReceiptError, ReceiptInput, receipt_input
from lims.samples.signals import sample_received
from lims.users.access import allowed
from lims.users.roles import Permission

bp = Blueprint("samples", __name__, url_prefix="/samples")


@bp.app_context_processor
def _labels():
    return {"status_zh": STATUS_ZH, "task_type_zh": TASK_TYPE_ZH}


def _sample_or_404(number: str, *, options: tuple = ()) -> Sample:
    sample = services.find_visible(current_user, number, options=options)
    if sample is None:
        abort(404)
    return sample


def _top_categories():
    from lims.foods.models import FoodCategoryNode

    edition = foods.current_edition()
    if edition is None:
        return []
    return list(db.session.scalars(sa.select(FoodCategoryNode).where(
        FoodCategoryNode.edition_id == edition.id, FoodCategoryNode.level == 1)
        .order_by(FoodCategoryNode.id)))


@bp.get("/")
@login_required
def index():
    filters = SampleFilters.from_args(request.args)
    for message in filters.errors.values():
        flash(message, "error")
    try:
        page = list_samples(services.visibility_clause(current_user), filters,
                            after=request.args.get("after"))
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("samples.index"))
    labs = db.session.scalars(sa.select(Organization).order_by(Organization.code)).all()
    args = {k: v for k, v in request.args.items() if k != "after"}
    next_url = url_for("samples.index", after=page.next_cursor, **args) if page.next_cursor \
        else None
    return render_template("samples/index.html", page=page, filters=filters, next_url=next_url,
                           labs=[o for o in labs if o.is_lab], counties=counties(),
                           statuses=list(SampleStatus), task_types=list(TaskType),
                           categories=_top_categories())


@bp.get("/search")
@login_required
def search():
    """The search box: a scanned barcode or QR opens its sample directly."""
    text = (request.args.get("q") or "").strip()
    sample = services.find_visible(current_user, text) if text else None
    if sample is not None:
        return redirect(url_for("samples.detail", number=sample.number))
    return redirect(url_for("samples.index", q=text))


def _receipt_input(form: ReceiptForm) -> ReceiptInput:
    """The form's fields, read by the names of the one receipt model (ReceiptInput)."""
    removed = {key[len("remove_"):]: request.form.get("reason_" + key[len("remove_"):], "")
               for key in request.form if key.startswith("remove_")}
    added_codes = [c.strip() for c in (form.add_items.data or "").replace("，", ",").split(",")
                   if c.strip()]
    return receipt_input({**form.receipt_values(), "removed_items": removed,
                          "added_items": {c: form.add_reason.data or "" for c in added_codes}})


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.REGISTER_SAMPLE)
def new():
    form = ReceiptForm()
    form.business_county.choices = [("", "—")] + [(r.code, r.name) for r in counties()]
    errors: dict[str, str] = {}
    plan = []
    subcategory = foods.find_subcategory(form.subcategory.data) if form.subcategory.data else None
    if subcategory is not None and subcategory.level == 4:
        plan = services.propose_test_plan(subcategory)
    if request.method == "POST" and request.form.get("action") == "register":
        if form.validate_on_submit():  # CSRF; the receipt rules are checked by the service
            try:
                sample = services.register_sample(_receipt_input(form), current_user)
                sample_received.send(sample, user=current_user, form=request.form)
                db.session.commit()
            except ReceiptError as exc:
                db.session.rollback()
                errors = exc.errors
            except services.SampleError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                flash(_("Sample %(number)s registered.", number=sample.number), "success")
                return redirect(url_for("samples.detail", number=sample.number))
        else:
            abort(400)
    elif request.method == "POST":
        form.validate_on_submit()  # CSRF; preview only refreshes the proposed plan
    status = 422 if errors else 200
    return render_template("samples/new.html", form=form, plan=plan, subcategory=subcategory,
                           errors=errors, removed=set(k[7:] for k in request.form
                                                      if k.startswith("remove_"))), status


@bp.get("/<number>")
@login_required
def detail(number: str):
    sample = _sample_or_404(number, options=services.detail_options())
    proposals = None
    if (sample.status == SampleStatus.REGISTERED and sample.parent_id is None
            and sample.assigned_org_id is None and current_user.can(Permission.REGISTER_SAMPLE)):
        proposals = services.routing_proposals(sample)
    transition_form = TransitionForm()
    targets = allowed_targets(sample.status, current_user.roles, manual_only=True) \
        if allowed(current_user, Permission.CHANGE_STATUS,
                   services.acting_lab_id(sample)) else []
    transition_form.target.choices = [(t.value, STATUS_ZH[t]) for t in targets]
    labs = [o for o in db.session.scalars(sa.select(Organization).order_by(Organization.code))
            if o.is_lab]
    return render_template("samples/detail.html", sample=sample, proposals=proposals,
                           timeline=services.timeline(sample), hand_over=HandOverForm(),
                           transition_form=transition_form, targets=targets, labs=labs,
                           today=local_today())


def _done(sample: Sample, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("samples.detail", number=sample.number))


def _refused(sample: Sample, exc: Exception):
    db.session.rollback()
    flash(str(exc), "error")
    return redirect(url_for("samples.detail", number=sample.number))


@bp.post("/<number>/route")
@require(Permission.REGISTER_SAMPLE)
def route(number: str):
    sample = _sample_or_404(number)
    form = HandOverForm()  # CSRF only
    if not form.csrf_token.validate(form):
        abort(400)
    assignments = {}
    for test in sample.active_tests:
        value = request.form.get(f"lab_{test.id}")
        if value and value.isdigit():
            assignments[test.id] = int(value)
    try:
        parts = services.route_sample(sample, assignments, current_user)
    except (services.SampleError, TransitionError) as exc:
        return _refused(sample, exc)
    return _done(sample, _("Routing confirmed: %(parts)s",
                           parts=", ".join(p.number for p in parts)))


def _form_problems(form) -> str:
    """Every field error of a hand-over form, named by the field's label."""
    return "；".join(f"{form[k].label.text}：{'、'.join(v)}" for k, v in form.errors.items())


@bp.post("/<number>/dispatch")
@require(Permission.DISPATCH_SAMPLE)
def dispatch(number: str):
    sample = _sample_or_404(number)
    form = HandOverForm()
    if not form.validate_on_submit():
        return _refused(sample, ValueError(_form_problems(form)))
    try:
        services.dispatch(sample, current_user, condition=form.condition.data,
                          temperature_c=form.temperature_c.data, notes=form.notes.data)
    except (services.SampleError, TransitionError) as exc:
        return _refused(sample, exc)
    return _done(sample, _("Sample dispatched."))


@bp.post("/<number>/receive")
@require(Permission.RECEIVE_SAMPLE)
def receive(number: str):
    sample = _sample_or_404(number)
    form = HandOverForm()
    if not form.validate_on_submit():
        return _refused(sample, ValueError(_form_problems(form)))
    try:
        services.receive_at_lab(sample, current_user, condition=form.condition.data,
                                temperature_c=form.temperature_c.data)
    except (services.SampleError, TransitionError) as exc:
        return _refused(sample, exc)
    return _done(sample, _("Sample received at the lab."))


@bp.post("/<number>/transition")
@login_required
def change_status(number: str):
    sample = _sample_or_404(number)
    form = TransitionForm()
    form.target.choices = [(s.value, s.value) for s in SampleStatus]
    if not form.validate_on_submit():
        abort(400)
    try:
        services.transition(sample, SampleStatus(form.target.data), current_user,
                            reason=form.reason.data, manual=True)
    except (services.SampleError, TransitionError) as exc:
        return _refused(sample, exc)
    return _done(sample, _("Status changed."))


@bp.get("/<number>/labels.pdf")
@login_required
def labels(number: str):
    sample = _sample_or_404(number)
    layout = "a4" if request.args.get("layout") == "a4" else "roll"
    pdf = sample_labels.labels_pdf(sample, layout=layout)
    return pdf, 200, {"Content-Type": "application/pdf",
                      "Content-Disposition": f'inline; filename="{sample.number}-labels.pdf"'}
