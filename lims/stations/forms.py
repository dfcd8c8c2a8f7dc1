"""Forms of the station pages; the record rules live in schemas/intake (one validator)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

FOOD_CATEGORIES = ("蔬菜", "水果", "畜禽肉", "水产品", "鲜蛋", "豆制品", "粮食", "食用油", "其他")
METHOD_CHOICES = [("enzyme_inhibition", _l("Enzyme inhibition")),
                  ("colloidal_gold", _l("Colloidal gold")), ("other_kit", _l("Other kit"))]
VERDICT_CHOICES = [("negative", _l("Negative")), ("positive", _l("Positive"))]


class ResultForm(FlaskForm):
    uid = HiddenField()
    market = SelectField(_l("Market"), choices=[])
    stall = StringField(_l("Stall"), validators=[DataRequired(), Length(max=40)])
    vendor = StringField(_l("Vendor"), validators=[Optional(), Length(max=80)])
    food_name = StringField(_l("Food"), validators=[DataRequired(), Length(max=60)])
    food_category = SelectField(_l("Food category"), choices=[(c, c) for c in FOOD_CATEGORIES])
    test_item = StringField(_l("Test item"), validators=[DataRequired(), Length(max=60)],
                            default="有机磷和氨基甲酸酯类农药")
    method = SelectField(_l("Method"), choices=METHOD_CHOICES)
    inhibition_pct = StringField(_l("Inhibition (%)"), validators=[Optional()])
    tc_ratio = StringField(_l("T/C ratio"), validators=[Optional()])
    tc_cutoff = StringField(_l("Kit cut-off (T/C)"), validators=[Optional()])
    kit_result = SelectField(_l("Kit result"), choices=[("", "—"), *VERDICT_CHOICES])
    station_verdict = SelectField(_l("Station's verdict"), choices=VERDICT_CHOICES)
    tested_at = StringField(_l("Tested at"), validators=[DataRequired()])
    operator = StringField(_l("Operator"), validators=[DataRequired(), Length(max=40)])
    instrument_serial = StringField(_l("Instrument serial number"),
                                    validators=[Optional(), Length(max=80)])
    kit_lot = StringField(_l("Kit lot"), validators=[Optional(), Length(max=40)])
    correction_reason = TextAreaField(_l("Reason for the correction"), validators=[Optional()])


class UploadForm(FlaskForm):
    file = FileField(_l("Reader's CSV export"), validators=[FileRequired()])


class PublishForm(FlaskForm):
    market = HiddenField(validators=[DataRequired()])
    date = HiddenField(validators=[DataRequired()])


class LinkSampleForm(FlaskForm):
    sample_number = StringField(_l("Confirmation sample number"),
                                validators=[DataRequired(), Length(max=40)])
