"""Fields only: the rules of a drug receipt live in lims.drugs.receipt (one place)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField, TextAreaField

from lims.drugs.models import LINK_ZH
from lims.samples.models import TASK_TYPE_ZH, TaskType
from lims.samples.receipt import QUANTITY_UNITS


class DrugReceiptForm(FlaskForm):
    task_type = SelectField(_l("Task type"), choices=[(t.value, TASK_TYPE_ZH[t]) for t in TaskType],
                            validate_choice=False)
    monograph = SelectField(_l("Drug standard (monograph)"), choices=[], validate_choice=False)
    generic_name = StringField(_l("Generic name"))
    trade_name = StringField(_l("Trade name"))
    strength = StringField(_l("Strength"))
    approval_number = StringField(_l("Approval number"))
    batch_number = StringField(_l("Batch number"))
    expiry = StringField(_l("Expiry date"))
    manufacturer = StringField(_l("Manufacturer"))
    manufacturer_address = StringField(_l("Manufacturer address"))
    holder = StringField(_l("Marketing authorisation holder"))
    sampling_unit = StringField(_l("Sampling unit"))
    task_source = StringField(_l("Task source"))
    sampling_form_no = StringField(_l("Sampling form number"))
    link = SelectField(_l("Supply-chain link"), choices=[("", "—")] + [
        (k.value, v) for k, v in LINK_ZH.items()], validate_choice=False)
    business_name = StringField(_l("Sampled business"))
    business_licence = StringField(_l("Licence number"))
    business_address = StringField(_l("Business address"))
    business_county = SelectField(_l("County"), choices=[], validate_choice=False)
    sampled_on = StringField(_l("Sampling date"))
    sampling_place = StringField(_l("Sampling place"))
    sampler = StringField(_l("Sampled by"))
    sampling_base = StringField(_l("Sampling base"))
    quantity = StringField(_l("Quantity"))
    quantity_unit = SelectField(_l("Unit"), choices=[("", "—")] + [(u, u) for u in QUANTITY_UNITS],
                                validate_choice=False)
    condition_ok = RadioField(_l("Condition on receipt"),
                              choices=[("yes", _l("As expected")), ("no", _l("Deviation"))],
                              validate_choice=False)
    condition_description = StringField(_l("Condition as received"))
    condition_notes = TextAreaField(_l("Deviation"))


class MonographUploadForm(FlaskForm):
    file = FileField(_l("Monograph file (TOML)"))
