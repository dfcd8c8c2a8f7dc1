"""Forms of the report pages (fields and CSRF only; the rules live in services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField


class ReasonForm(FlaskForm):
    """Amendment or withdrawal: the reason is printed on the new report / kept on record."""

    reason = TextAreaField(_l("Reason"))


class UploadForm(FlaskForm):
    file = FileField(_l("Report PDF"), validators=[FileRequired()])
