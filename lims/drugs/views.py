"""Drug pages: monographs, receipt of a medicine, entry of its results. Thin: the rules are
in receipt, entry, monographs and judgement."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lims.core.permissions import require
from lims.drugs import entry, services
from lims.drugs.figures import drug_figures
from lims.drugs.forms import DrugReceiptForm, MonographUploadForm
from lims.drugs.judgement import RULE_SOURCES
from lims.drugs.models import DrugMonograph, DrugSample
from lims.drugs.monographs import MonographError
from lims.drugs.receipt import DrugReceiptInput, register_drug_sample
from lims.extensions import db
from lims.orgs.services import counties
from lims.results import services as results
from lims.results.models import SignatureMeaning
from lims.samples import services as samples
from lims.samples.models import Sample
from lims.samples.receipt import ReceiptError, receipt_input
from lims.users.roles import Permission

bp = Blueprint("drugs", __name__, url_prefix="/drugs")


@bp.app_template_global("drug_of")
def drug_of(sample: Sample) -> DrugSample | None:
    return services.drug_of(sample)


@bp.app_template_global("drug_dashboard")
def drug_dashboard(period, region_id, coverage) -> dict:
    """The drug figures for the stats dashboard's partial (food figures come from it)."""
    figures = drug_figures(period.start, period.end, region_id)
    food_items, food_covered = _figure(coverage, "items"), _figure(coverage, "covered")
    total = food_items + figures.drug_items
    combined = (food_covered + figures.drug_items_covered) / total if total else None
    return {"figures": figures, "combined_rate": combined, "combined_items": total,
            "combined_covered": food_covered + figures.drug_items_covered}


def _figure(source: object, name: str) -> int:
    """A count of the food coverage figure, a mapping or an object (or 0 when absent)."""
    try:
        value = source[name]  # type: ignore[index]
    except (KeyError, TypeError, IndexError):
        value = getattr(source, name, 0)
    return int(value or 0)


@bp.get("/")
@login_required
def index():
    found = list(db.session.execute(
        sa.select(DrugSample, Sample).join(Sample, Sample.id == DrugSample.sample_id)
        .where(samples.visibility_clause(current_user))
        .order_by(Sample.received_at.desc()).limit(50)).all())
    return render_template("drugs/index.html", monographs=services.monographs(), found=found,
                           upload=MonographUploadForm())


@bp.get("/monographs/<int:monograph_id>")
@login_required
def monograph(monograph_id: int):
    record = db.session.get(DrugMonograph, monograph_id) or abort(404)
    return render_template("drugs/monograph.html", record=record,
                           monograph=services.parsed(record), rule_sources=RULE_SOURCES)


@bp.post("/monographs/import")
@require(Permission.MANAGE_LIMITS)
def import_monograph():
    form = MonographUploadForm()
    if not form.validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a monograph file."), "error")
        return redirect(url_for("drugs.index"))
    try:
        text = upload.read().decode("utf-8")
        record, created = services.import_monograph_text(text, origin_name=upload.filename)
        db.session.commit()
    except UnicodeDecodeError:
        flash("文件不是 UTF-8 编码的文本，未导入", "error")
    except MonographError as exc:
        db.session.rollback()
        flash("药品标准未导入：" + "；".join(exc.problems), "error")
    else:
        flash(_("Monograph %(name)s imported.", name=record.name) if created else
              _("Monograph %(name)s updated.", name=record.name), "success")
    return redirect(url_for("drugs.index"))


def _receipt_input(form: DrugReceiptForm) -> DrugReceiptInput:
    shared = receipt_input(form.receipt_values())
    return DrugReceiptInput(
        monograph=form.monograph.data or "", generic_name=form.generic_name.data or "",
        trade_name=form.trade_name.data or "", strength=form.strength.data or "",
        approval_number=form.approval_number.data or "",
        batch_number=form.batch_number.data or "", expiry=form.expiry.data or "",
        manufacturer=form.manufacturer.data or "",
        manufacturer_address=form.manufacturer_address.data or "", holder=form.holder.data or "",
        sampling_unit=form.sampling_unit.data or "", link=form.link.data or "", common=shared)


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.REGISTER_SAMPLE)
def new():
    form = DrugReceiptForm()
    form.monograph.choices = [("", "—")] + [(m.key, f"{m.name}（{m.dosage_form}）")
                                            for m in services.monographs()]
    form.business_county.choices = [("", "—")] + [(r.code, r.name) for r in counties()]
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            sample = register_drug_sample(_receipt_input(form), current_user)
            db.session.commit()
        except ReceiptError as exc:
            db.session.rollback()
            errors = exc.errors
        except samples.SampleError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("Sample %(number)s registered.", number=sample.number), "success")
            return redirect(url_for("samples.detail", number=sample.number))
    return render_template("drugs/new.html", form=form, errors=errors), 422 if errors else 200


def _sample_or_404(number: str) -> tuple[Sample, DrugSample]:
    sample = samples.find_visible(current_user, number)
    drug = services.drug_of(sample) if sample is not None else None
    if sample is None or drug is None:
        abort(404)
    return sample, drug


def _render_sample(sample: Sample, drug: DrugSample, *, errors: dict | None = None,
                   typed: dict | None = None, status: int = 200):
    monograph = services.parsed(drug.monograph)
    rows = []
    by_test = results.results_by_test(sample.active_tests)
    shown = {test_id: {k: v.get("value", "") for k, v in json.loads(r.inputs_json or "{}").items()}
             for test_id, r in by_test.items()}
    shown.update(typed or {})
    for test in sample.active_tests:
        code = test.test_item.code.split(":", 2)[-1]
        rows.append({"test": test, "item": monograph.item(code), "result": by_test.get(test.id),
                     "fields": entry.FIELDS.get(monograph.item(code).kind, ())
                     if monograph.item(code) else ()})
    return render_template("drugs/sample.html", sample=sample, drug=drug, monograph=monograph,
                           rows=rows, errors=errors or {}, typed=shown,
                           meaning_zh=results.MEANING_ZH,
                           valid_signatures=results.valid_signatures,
                           submitted=SignatureMeaning.SUBMITTED.value), status


@bp.get("/samples/<number>")
@login_required
def sample_page(number: str):
    sample, drug = _sample_or_404(number)
    return _render_sample(sample, drug)


@bp.post("/samples/<number>/tests/<int:test_id>")
@require(Permission.ENTER_RESULT)
def enter(number: str, test_id: int):
    sample, drug = _sample_or_404(number)
    test = next((t for t in sample.active_tests if t.id == test_id), None)
    if test is None:
        abort(404)
    form = MonographUploadForm()  # CSRF only
    if not form.validate_on_submit():
        abort(400)
    kind_fields = [f for f, _l, _h in entry.FIELDS.get(
        services.monograph_item(drug, test.test_item).kind, ())]
    inputs = {f: request.form.get(f, "") for f in kind_fields}
    version = request.form.get("version", type=int)
    try:
        entry.enter_drug_result(test, current_user, inputs, expected_version=version,
                                reason=request.form.get("reason"))
        results.commit()
    except results.ResultNotFound:
        db.session.rollback()
        abort(404)
    except results.ResultError as exc:
        db.session.rollback()
        sample, drug = _sample_or_404(number)
        return _render_sample(sample, drug, errors={test_id: exc.message},
                              typed={test_id: inputs}, status=422)
    flash(_("Result saved: %(item)s", item=test.test_item.name_zh), "success")
    return redirect(url_for("drugs.sample_page", number=number) + f"#test-{test_id}")
