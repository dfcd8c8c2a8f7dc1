from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from lims.samples.models import TASK_TYPE_ZH, TaskType
from lims.samples.receipt import QUANTITY_UNITS, ReceiptInput


class SamplingFields(FlaskForm):
    """The sampling form's (抽样单) fields that every receipt has, food or medicine, named as
    the fields of samples.receipt.ReceiptInput (the one receipt model); the rules of a receipt
    live in samples.receipt.validate (one place)."""

    task_type = SelectField(_l("Task type"), choices=[(t.value, TASK_TYPE_ZH[t]) for t in TaskType],
                            validate_choice=False)
    task_source = StringField(_l("Task source"))
    sampling_form_no = StringField(_l("Sampling form number"))
    business_name = StringField(_l("Sampled business"))
    business_licence = StringField(_l("Licence number"))
    business_address = StringField(_l("Business address"))
    business_county = SelectField(_l("County"), choices=[], validate_choice=False)
    sampled_on = StringField(_l("Sampling date"))
    sampling_place = StringField(_l("Sampling place"))
    sampler = StringField(_l("Sampled by"))
    sampling_base = StringField(_l("Sampling base (lot size)"))
    quantity = StringField(_l("Quantity"))
    quantity_unit = SelectField(_l("Unit"), choices=[("", "—")] + [(u, u) for u in QUANTITY_UNITS],
                                validate_choice=False)
    condition_ok = RadioField(_l("Condition on receipt"),
                              choices=[("yes", _l("As expected")), ("no", _l("Deviation"))],
                              validate_choice=False)
    condition_description = StringField(_l("Sample condition as received"))
    condition_notes = TextAreaField(_l("Deviation"))

    def receipt_values(self) -> dict[str, object]:
        """The form's values of the fields the receipt model has, by its names."""
        return {name: self[name].data for name in ReceiptInput.model_fields if name in self}


class ReceiptForm(SamplingFields):
    """A food sample's receipt: the sampling form plus the food's own fields."""

    customer_name = StringField(_l("Commissioning client"))
    customer_address = StringField(_l("Client address"))
    food_name = StringField(_l("Sample name"))
    subcategory = StringField(_l("Food subcategory (细类)"))
    specification = StringField(_l("Specification"))
    producer = StringField(_l("Nominal producer"))
    producer_address = StringField(_l("Producer address"))
    batch_number = StringField(_l("Batch number"))
    production_date = StringField(_l("Production date"))
    retained_quantity = StringField(_l("Retained portion"))
    retained_unit = SelectField(_l("Unit"), choices=[("", "—")] + [(u, u) for u in QUANTITY_UNITS],
                                validate_choice=False)
    retained_location = StringField(_l("Stored at"))
    add_items = StringField(_l("Add test items (codes, comma separated)"),
                            validators=[Optional()])
    add_reason = StringField(_l("Reason for added items"))


class HandOverForm(FlaskForm):
    condition = StringField(_l("Condition"), validators=[DataRequired()])
    temperature_c = DecimalField(_l("Temperature (°C)"), places=None, validators=[Optional()])
    notes = StringField(_l("Notes"), validators=[Optional()])


class TransitionForm(FlaskForm):
    target = SelectField(_l("New status"), choices=[])
    reason = TextAreaField(_l("Reason"), validators=[Optional()])

