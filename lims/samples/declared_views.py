"""The page where receipt records the product's executive standard and declared values."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from lims.core.permissions import require
from lims.extensions import db
from lims.samples import services
from lims.samples.declared import (
    SOURCE_ZH,
    DeclaredError,
    declaration_of,
    parse_declared_lines,
    set_declaration,
)
from lims.users.roles import Permission

bp = Blueprint("samples_declared", __name__, url_prefix="/samples")


class DeclaredForm(FlaskForm):
    executive_standard = StringField("执行标准", validators=[Length(max=200)])
    values = TextAreaField("明示值（每行一项：项目=明示值，标签值在末尾加“(标签)”）")


@bp.route("/<number>/declared", methods=["GET", "POST"])
@require(Permission.REGISTER_SAMPLE)
def edit(number: str):
    from flask_login import current_user

    sample = services.find_visible(current_user, number)
    if sample is None:
        abort(404)
    declaration = declaration_of(sample)
    form = DeclaredForm()
    errors: dict[str, str] = {}
    if request.method == "GET" and declaration is not None:
        form.executive_standard.data = declaration.executive_standard
        form.values.data = "\n".join(
            f"{v.item}={v.value}" + ("(标签)" if v.source == "label" else "")
            for v in declaration.values)
    if request.method == "POST":
        if not form.validate_on_submit():
            errors = {k: "、".join(v) for k, v in form.errors.items()}
            if "csrf_token" in form.errors:
                abort(400)
        else:
            try:
                values = parse_declared_lines(form.values.data or "")
                set_declaration(sample, form.executive_standard.data or "", values)
                db.session.commit()
            except DeclaredError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                flash(_("Declared values saved."), "success")
                return redirect(url_for("samples.detail", number=sample.number))
    status = 422 if errors else 200
    return render_template("samples/declared.html", sample=sample, form=form, errors=errors,
                           declaration=declaration, source_zh=SOURCE_ZH), status
