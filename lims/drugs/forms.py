"""Fields only: the rules of a drug receipt live in lims.drugs.receipt (one place)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField

from lims.drugs.models import LINK_ZH
from lims.samples.forms import SamplingFields


class DrugReceiptForm(SamplingFields):
    """A medicine's receipt: the sampling form (shared with food) plus the drug's fields."""

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
    link = SelectField(_l("Supply-chain link"), choices=[("", "—")] + [
        (k.value, v) for k, v in LINK_ZH.items()], validate_choice=False)


class MonographUploadForm(FlaskForm):
    file = FileField(_l("Monograph file (TOML)"))
