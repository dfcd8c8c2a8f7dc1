"""Forms of the result pages (fields and CSRF; the rules live in services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional


class WorksheetForm(FlaskForm):
    title = StringField(_l("Worksheet title"), validators=[Optional()])


class EntryForm(FlaskForm):
    """The method's inputs are read from ``in_<name>`` / ``reading_<name>`` fields."""

    version = IntegerField(validators=[Optional()])
    reason = TextAreaField(_l("Reason for the change"), validators=[Optional()])
    unit = StringField(validators=[Optional()])


class SignForm(FlaskForm):
    meaning = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()


class MethodForm(FlaskForm):
    """Switch to another method the lab declares (``method`` is the method code)."""

    method = StringField(_l("Method"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason for the method change"), validators=[DataRequired()])
    version = IntegerField(validators=[Optional()])
    next = HiddenField()


class SendBackForm(FlaskForm):
    version = IntegerField(validators=[Optional()])
    reason = TextAreaField(_l("Reason for sending back"), validators=[DataRequired()])
    next = HiddenField()
