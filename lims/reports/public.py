"""Public report verification (no login): the page the report's QR code opens.

``/verify/<token>`` shows the report's number, issue date, status and SHA-256 and checks an
uploaded file against it; ``/verify/`` checks any uploaded file. The token is unguessable
(secrets.token_urlsafe), so report numbers cannot be enumerated.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template

from lims.reports import verification
from lims.reports.forms import UploadForm
from lims.reports.models import TestReport
from lims.reports.signing import SigningSetupError

log = logging.getLogger(__name__)
bp = Blueprint("verify", __name__, url_prefix="/verify")

_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _check(form: UploadForm, report: TestReport | None):
    """(FileCheck | None, error message | None) for a submitted upload form."""
    if not form.validate_on_submit():
        if form.file.errors:
            return None, "请选择要验证的报告 PDF 文件"
        return None, "页面已过期，请刷新后重新上传"
    data = form.file.data.read()
    if not data:
        return None, "上传的文件是空的"
    try:
        return verification.check_file(data, expected=report), None
    except SigningSetupError as exc:
        log.error("verification unavailable: %s", exc)
        return None, "验证服务暂不可用（实验室证书未配置），请联系实验室"


@bp.route("/<token>", methods=["GET", "POST"])
def report(token: str):
    found = verification.find_by_token(token)
    if found is None:
        abort(404)
    form = UploadForm()
    check, error = (None, None)
    if form.is_submitted():
        check, error = _check(form, found)
    return render_template("reports/verify.html", report=found, form=form, check=check,
                           error=error), 200, _HEADERS


@bp.route("/", methods=["GET", "POST"])
def upload():
    form = UploadForm()
    check, error = (None, None)
    if form.is_submitted():
        check, error = _check(form, None)
    return render_template("reports/verify.html", report=None, form=form, check=check,
                           error=error), 200, _HEADERS
