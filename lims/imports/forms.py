from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from lims.imports.models import ImportKind
from lims.imports.services import KIND_ZH


class UploadForm(FlaskForm):
    """Fields only: the checks live in services.store_upload (one place)."""

    kind = SelectField(_l("What the file holds"),
                       choices=[(k.value, KIND_ZH[k]) for k in ImportKind])
    file = FileField(_l("File"))
    standard = StringField(_l("Local standard number (local item lists)"),
                           validators=[Optional(), Length(max=80)])
