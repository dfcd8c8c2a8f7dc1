"""Forms of the instrument pages; the rules themselves live in services (one validator)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lims.instruments.models import CertificateKind, InstrumentKind
from lims.instruments.registry import driver_names
from lims.instruments.services import CERT_KIND_ZH, KIND_ZH


class InstrumentForm(FlaskForm):
    code = StringField(_l("Instrument code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[(k.value, KIND_ZH[k]) for k in InstrumentKind])
    driver = SelectField(_l("Driver"), choices=[(d, d) for d in driver_names()])
    org = SelectField(_l("Organisation"), choices=[])
    manufacturer = StringField(_l("Manufacturer"), validators=[Optional(), Length(max=80)])
    model = StringField(_l("Model"), validators=[Optional(), Length(max=80)])
    serial_number = StringField(_l("Serial number"), validators=[Optional(), Length(max=80)])
    location = StringField(_l("Room"), validators=[Optional(), Length(max=120)])
    bench = StringField(_l("Bench"), validators=[Optional(), Length(max=40)])
    port_url = StringField(_l("Port on the bench PC"), validators=[Optional(), Length(max=200)])
    port_settings = TextAreaField(_l("Port settings (JSON)"), validators=[Optional()],
                                  default="{}")


class CertificateForm(FlaskForm):
    number = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=60)])
    kind = SelectField(_l("Kind"), choices=[(k.value, CERT_KIND_ZH[k]) for k in CertificateKind])
    issued_by = StringField(_l("Issued by"), validators=[DataRequired(), Length(max=120)])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional()])
